import { CanceledError, type OpenShellError } from "../../../errors.js";
import { sleep } from "../../../timing/sleep.js";
import type { LogLine } from "../../log-types.js";
import type { SpawnedCommand } from "../../process/command-runner.js";
import { LineSplitter } from "../../streams/line-splitter.js";
import { Channel } from "./channel.js";

/** The most of the CLI's own stderr kept for an error message. */
const MAX_STDERR_CHARS = 16 * 1024;

export interface CliLogParams {
  /** The running `container logs` process. */
  child: SpawnedCommand;
  containerId: string;
  follow: boolean;
  signal?: AbortSignal | undefined;
  /** How often a follow asks whether the container still runs. */
  pollIntervalMs: number;
  isRunning: (signal: AbortSignal) => Promise<boolean>;
  /** The error for a CLI that exited non-zero, from its exit code and stderr. */
  failure: (exitCode: number, stderr: string) => OpenShellError;
  spawnError: (error: unknown) => OpenShellError;
  /** The error when the runtime was closed under the read (its CLI killed); undefined otherwise. */
  closedError: () => OpenShellError | undefined;
}

/**
 * A container's log as lines, from `container logs [-f]`. The CLI prints the container's stdout and
 * stderr as one log, so every line is reported as `stdout`. `container logs -f` keeps following
 * after the container stops; here a follow ends once polling sees the container stopped (after a
 * short grace for the last lines). Aborting kills the CLI and throws a CanceledError.
 */
export async function* cliLogLines(params: CliLogParams): AsyncGenerator<LogLine> {
  const { child, signal } = params;
  const what = `logs of container ${params.containerId}`;
  const channel = new Channel<string>({
    highWater: 256,
    pause: () => child.stdout.pause(),
    resume: () => child.stdout.resume(),
  });
  const splitter = new LineSplitter();
  let stderr = "";
  let endedByStop = false;
  child.stdin.end();
  child.stdout.on("data", (chunk: Buffer) => {
    for (const line of splitter.push(chunk)) channel.push(line);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR_CHARS) stderr += chunk.toString("utf8");
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("error", (error) => channel.fail(params.spawnError(error)));
  }

  const onAbort = () => {
    child.kill("SIGKILL");
    channel.fail(
      new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal?.reason }),
      true,
    );
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });

  child.exit.then(
    (exitCode) => {
      const rest = splitter.flush();
      if (rest !== undefined && rest !== "") channel.push(rest);
      const closed = params.closedError();
      if (closed !== undefined) channel.fail(closed);
      else if (exitCode === 0 || endedByStop) channel.end();
      else channel.fail(params.failure(exitCode, stderr));
    },
    (error: unknown) => channel.fail(params.spawnError(error)),
  );

  const watching = new AbortController();
  if (params.follow) {
    void (async () => {
      try {
        for (;;) {
          await sleep(params.pollIntervalMs, watching.signal);
          if (watching.signal.aborted) return;
          if (!(await params.isRunning(watching.signal))) break;
        }
        // The container stopped: let the CLI print what it still holds, then end the follow.
        await sleep(Math.min(params.pollIntervalMs, 500), watching.signal);
        if (watching.signal.aborted) return;
        endedByStop = true;
        child.kill("SIGTERM");
      } catch (error) {
        if (watching.signal.aborted) return;
        channel.fail(error);
        child.kill("SIGKILL");
      }
    })();
  }

  try {
    for await (const text of channel) yield { stream: "stdout", text };
  } finally {
    watching.abort();
    signal?.removeEventListener("abort", onAbort);
    child.kill("SIGKILL");
  }
}
