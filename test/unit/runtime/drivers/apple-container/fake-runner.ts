import { once } from "node:events";
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { CanceledError } from "../../../../../src/errors.js";
import type {
  CommandRunner,
  RunOptions,
  RunResult,
  SpawnedCommand,
} from "../../../../../src/runtime/process/command-runner.js";

/** A recorded CLI output from test/fixtures/apple-container. */
export function fixture(name: string): string {
  return readFileSync(new URL(`../../../../fixtures/apple-container/${name}`, import.meta.url), "utf8");
}

export interface RecordedCall {
  kind: "run" | "spawn";
  command: string;
  args: string[];
  stdin?: string | undefined;
  timeoutMs?: number | undefined;
}

/** What a `run` answers: an output, a function of the call, an error to throw, or `"hang"` (until aborted). */
export type RunReply =
  | Partial<RunResult>
  | ((args: string[]) => Partial<RunResult> | Promise<Partial<RunResult>>)
  | Error
  | "hang";

/** How a spawned fake process behaves; it may write, wait for stdin, and exit. */
export type SpawnScript = (process: FakeProcess, args: string[]) => void | Promise<void>;

type Matcher = readonly string[] | ((args: string[]) => boolean);

interface Rule<T> {
  match: Matcher;
  reply: T;
  times: number;
}

function matches(matcher: Matcher, args: string[]): boolean {
  return typeof matcher === "function"
    ? matcher(args)
    : matcher.length === args.length && matcher.every((word, i) => word === args[i]);
}

/** A spawned command whose streams the test drives. */
export class FakeProcess implements SpawnedCommand {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin = new PassThrough();
  readonly exit: Promise<number>;
  readonly kills: NodeJS.Signals[] = [];
  /** Everything written to stdin. */
  stdinText = "";
  /** Settles once stdin has been ended and read to its end. */
  readonly stdinClosed: Promise<void>;
  private resolveExit!: (code: number) => void;
  private exited = false;

  constructor() {
    this.exit = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
    this.stdin.on("data", (chunk: Buffer) => {
      this.stdinText += chunk.toString("utf8");
    });
    this.stdinClosed = once(this.stdin, "end").then(() => {});
  }

  /** Whether the driver ended stdin (half-closed it). */
  get stdinEnded(): boolean {
    return this.stdin.writableEnded;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  write(stream: "stdout" | "stderr", text: string | Buffer): void {
    this[stream].write(text);
  }

  /** Ends both output streams and, once they have been read to the end, settles `exit` with `code`. */
  finish(code: number): void {
    if (this.exited) return;
    this.exited = true;
    const ended = Promise.all([once(this.stdout, "end"), once(this.stderr, "end")]);
    this.stdout.end();
    this.stderr.end();
    void ended.then(() => this.resolveExit(code));
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.exited) return;
    this.kills.push(signal);
    this.finish(signal === "SIGKILL" ? 137 : 143);
  }
}

/**
 * A CommandRunner that records every call and answers from rules the test sets: the first rule
 * that matches the argv (and has uses left) answers. A call no rule matches fails the test loudly.
 */
export class FakeRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  readonly processes: FakeProcess[] = [];
  private readonly runRules: Rule<RunReply>[] = [];
  private readonly spawnRules: Rule<SpawnScript>[] = [];

  /** Answers `run` calls whose argv is `match` (exactly) or satisfies it. */
  onRun(match: Matcher, reply: RunReply, times = Number.POSITIVE_INFINITY): this {
    this.runRules.push({ match, reply, times });
    return this;
  }

  onSpawn(match: Matcher, script: SpawnScript, times = Number.POSITIVE_INFINITY): this {
    this.spawnRules.push({ match, reply: script, times });
    return this;
  }

  /** The argv of every call, in order. */
  get argv(): string[][] {
    return this.calls.map((call) => call.args);
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const argv = [...args];
    this.calls.push({
      kind: "run",
      command,
      args: argv,
      stdin: options.stdin?.toString(),
      timeoutMs: options.timeoutMs,
    });
    const rule = this.take(this.runRules, argv);
    if (rule === undefined) throw new Error(`FakeRunner: no answer for \`${command} ${argv.join(" ")}\``);
    const signal = options.signal;
    const aborted = () => new CanceledError(`${command} ${argv[0]}: canceled by the caller's signal`);
    if (signal?.aborted) throw aborted();
    const reply = rule.reply;
    if (reply === "hang") {
      await new Promise<void>((_resolve, reject) => {
        signal?.addEventListener("abort", () => reject(aborted()), { once: true });
      });
    }
    if (reply instanceof Error) throw reply;
    const answer = typeof reply === "function" ? await reply(argv) : reply;
    return { exitCode: 0, stdout: "", stderr: "", ...(answer as Partial<RunResult>) };
  }

  spawn(command: string, args: readonly string[]): SpawnedCommand {
    const argv = [...args];
    this.calls.push({ kind: "spawn", command, args: argv });
    const rule = this.take(this.spawnRules, argv);
    if (rule === undefined) throw new Error(`FakeRunner: no process for \`${command} ${argv.join(" ")}\``);
    const process = new FakeProcess();
    this.processes.push(process);
    // The script runs after the caller has attached its listeners, as a real process's output would.
    setImmediate(() => void rule.reply(process, argv));
    return process;
  }

  private take<T>(rules: Rule<T>[], args: string[]): Rule<T> | undefined {
    const rule = rules.find((candidate) => candidate.times > 0 && matches(candidate.match, args));
    if (rule !== undefined) rule.times -= 1;
    return rule;
  }
}

export const LIST = ["list", "--all", "--format", "json"];
export const STATUS = ["system", "status", "--format", "json"];

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
