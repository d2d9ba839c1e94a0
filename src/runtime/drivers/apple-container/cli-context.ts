import { CanceledError, type OpenShellError } from "../../../errors.js";
import type { CommandRunner, RunResult, SpawnedCommand } from "../../process/command-runner.js";
import { cliFailure, describeCommand, spawnFailure } from "./cli-errors.js";

export interface CliCallOptions {
  signal?: AbortSignal | undefined;
  stdin?: string;
  /** Deadline in ms; `null` for none (pulls and builds take as long as they take). */
  timeoutMs?: number | null;
}

/** How the driver's parts run the CLI: one place that turns exits and spawn failures into SDK errors. */
export class CliContext {
  /** Streaming commands still running, killed by `close()`. */
  private readonly live = new Set<SpawnedCommand>();
  /** Streaming commands `killAll()` ended: their end is the runtime's closing, not a failure. */
  private readonly closedUnder = new WeakSet<SpawnedCommand>();

  constructor(
    readonly command: string,
    readonly runner: CommandRunner,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** The command line for messages, env values masked. */
  describe(args: readonly string[]): string {
    return describeCommand(this.command, args);
  }

  /** Runs a command and hands back whatever it did, exit code included. */
  async runRaw(args: readonly string[], options: CliCallOptions = {}): Promise<RunResult> {
    const timeoutMs = options.timeoutMs === null ? undefined : (options.timeoutMs ?? this.defaultTimeoutMs);
    try {
      return await this.runner.run(this.command, args, {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    } catch (error) {
      throw spawnFailure(this.command, args, error);
    }
  }

  /** Runs a command; a non-zero exit is an error (NotFoundError, AlreadyExistsError, ...). */
  async run(args: readonly string[], options: CliCallOptions = {}): Promise<RunResult> {
    const result = await this.runRaw(args, options);
    if (result.exitCode !== 0) {
      throw this.failure(args, result.exitCode, result.stderr.trim() === "" ? result.stdout : result.stderr);
    }
    return result;
  }

  /** Starts a streaming command; `close()` kills it if it is still running then. */
  spawn(args: readonly string[]): SpawnedCommand {
    const child = this.runner.spawn(this.command, args);
    this.live.add(child);
    const forget = () => this.live.delete(child);
    child.exit.then(forget, forget);
    return child;
  }

  /** See `cliFailure`: `classified`, when given, is what the error's kind is read from. */
  failure(args: readonly string[], exitCode: number, output: string, classified?: string): OpenShellError {
    return cliFailure(this.command, args, exitCode, output, classified);
  }

  spawnError(args: readonly string[], error: unknown): OpenShellError {
    return spawnFailure(this.command, args, error);
  }

  /** Kills every streaming command still running. */
  killAll(): void {
    for (const child of this.live) {
      this.closedUnder.add(child);
      child.kill("SIGKILL");
    }
    this.live.clear();
  }

  /** The error for a stream whose command `killAll()` ended; undefined for any other. */
  closedError(child: SpawnedCommand, what: string): OpenShellError | undefined {
    return this.closedUnder.has(child) ? new CanceledError(`${what}: the runtime was closed`) : undefined;
  }
}
