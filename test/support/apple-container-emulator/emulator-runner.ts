import { once } from "node:events";
import { constants } from "node:os";
import { PassThrough, Writable } from "node:stream";
import { CanceledError } from "../../../src/errors.js";
import type {
  CommandRunner,
  RunOptions,
  RunResult,
  SpawnedCommand,
} from "../../../src/runtime/process/command-runner.js";
import { runToCompletion } from "../../../src/runtime/process/run-to-completion.js";
import { USAGE_EXIT_CODE, UsageError } from "./argv.js";
import { CliFailure, type EmulatorContext, type Handler } from "./emulator-context.js";

/** What every command prints when the API server cannot be reached (fixture stderr-not-running.txt). */
const SERVICE_DOWN =
  'Error: interrupted: "XPC connection error: Connection invalid\n' +
  'Ensure container system service has been started with `container system start`."\n';

/** Whether an error is the engine's socket refusing or missing. */
export function engineUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ECONNREFUSED" || code === "ENOENT" || code === "ECONNRESET" || code === "EPIPE";
}

/** Passes writes on to `target` with its backpressure, until closed; then drops them. */
class Gate extends Writable {
  private open = true;

  constructor(private readonly target: PassThrough) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.open || this.target.writableEnded) {
      callback();
      return;
    }
    if (this.target.write(chunk)) callback();
    else this.target.once("drain", () => callback());
  }

  /** Stops passing writes on (the command was killed) and releases a write waiting for drain. */
  close(): void {
    this.open = false;
    this.target.emit("drain");
  }
}

/**
 * A CommandRunner whose `container ...` commands are carried out by the emulator's handlers: each
 * command line is an invocation with its own stdin, stdout and stderr, killed through an
 * AbortSignal, ending with an exit code as the real CLI's process would.
 */
export class EmulatorRunner implements CommandRunner {
  private readonly live = new Set<SpawnedCommand>();

  constructor(
    private readonly context: EmulatorContext,
    private readonly commands: Readonly<Record<string, Handler>>,
  ) {}

  spawn(_command: string, args: readonly string[]): SpawnedCommand {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const stdin = new PassThrough();
    const outGate = new Gate(stdout);
    const errGate = new Gate(stderr);
    const controller = new AbortController();
    let exited = false;
    let settle!: (code: number) => void;
    const exit = new Promise<number>((resolve) => {
      settle = resolve;
    });
    const finish = (code: number) => {
      if (exited) return;
      exited = true;
      outGate.close();
      errGate.close();
      // Like a child process's `close`: after the output has been read to its end, by whoever
      // reads it (a stream nobody ever read from is not waited for).
      const ended = Promise.all(
        [stdout, stderr].map((stream) => (stream.readableFlowing === null ? undefined : once(stream, "end"))),
      );
      stdout.end();
      stderr.end();
      void ended.then(
        () => settle(code),
        () => settle(code),
      );
    };
    const child: SpawnedCommand = {
      stdout,
      stderr,
      stdin,
      exit,
      kill: (signal: NodeJS.Signals = "SIGTERM") => {
        if (exited) return;
        controller.abort();
        finish(128 + (constants.signals[signal] ?? 0));
      },
    };
    this.live.add(child);
    void exit.then(() => this.live.delete(child));
    void this.execute([...args], { stdin, stdout: outGate, stderr: errGate, signal: controller.signal }).then(
      async (code) => {
        // Let the last writes reach the streams before they end.
        await new Promise<void>((resolve) => outGate.write("", () => errGate.write("", () => resolve())));
        finish(code);
      },
    );
    return child;
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const name = `\`${command} ${args.join(" ")}\``;
    const { signal } = options;
    if (signal?.aborted)
      throw new CanceledError(`${name}: canceled by the caller's signal`, { cause: signal.reason });
    return runToCompletion(this.spawn(command, args), name, options);
  }

  /** Kills every command still running (close()). */
  killAll(): void {
    for (const child of this.live) child.kill("SIGKILL");
  }

  /** Runs one command line to its exit code; the CLI's errors are printed on stderr. */
  private async execute(
    args: string[],
    io: { stdin: PassThrough; stdout: Writable; stderr: Writable; signal: AbortSignal },
  ): Promise<number> {
    const handler = this.commands[args[0] ?? ""];
    try {
      if (handler === undefined) {
        const word = args[0] ?? "";
        throw new UsageError(
          word.startsWith("-") ? `Unknown option '${word}'` : `Unexpected argument '${word}'`,
          "container <subcommand>",
        );
      }
      return await handler(this.context, { args, ...io });
    } catch (error) {
      if (io.signal.aborted) return 137;
      if (error instanceof UsageError) {
        io.stderr.write(error.stderr);
        return USAGE_EXIT_CODE;
      }
      if (error instanceof CliFailure) {
        io.stderr.write(`${error.stderr}\n`);
        return error.exitCode;
      }
      if (engineUnreachable(error)) {
        // The engine is this emulator's "system service": down, the CLI says what Apple's says.
        io.stderr.write(SERVICE_DOWN);
        return 1;
      }
      io.stderr.write(`Error: emulator: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
  }
}
