import { CanceledError, TimeoutError } from "../../errors.js";
import type { RunOptions, RunResult, SpawnedCommand } from "./command-runner.js";

/**
 * Feeds a started command its stdin, collects its output and waits for its exit: what
 * `CommandRunner.run` does with what `spawn` started. `options.signal` and `options.timeoutMs` kill
 * it (SIGKILL) and reject with CanceledError or TimeoutError, whose messages start with `name`.
 */
export async function runToCompletion(
  child: SpawnedCommand,
  name: string,
  options: RunOptions = {},
): Promise<RunResult> {
  const { signal, timeoutMs } = options;
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  let stopReason: Error | undefined;
  const stop = (reason: Error) => {
    stopReason ??= reason;
    child.kill("SIGKILL");
  };
  const onAbort = () =>
    stop(new CanceledError(`${name}: canceled by the caller's signal`, { cause: signal?.reason }));
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => stop(new TimeoutError(`${name} did not finish within ${timeoutMs} ms; it was killed`)),
          timeoutMs,
        );
  try {
    child.stdin.end(options.stdin ?? "");
    const exitCode = await child.exit;
    if (stopReason !== undefined) throw stopReason;
    return {
      exitCode,
      stdout: Buffer.concat(stdout).toString("utf8"),
      stderr: Buffer.concat(stderr).toString("utf8"),
    };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (timer !== undefined) clearTimeout(timer);
  }
}
