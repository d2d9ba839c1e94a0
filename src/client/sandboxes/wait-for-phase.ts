import { CanceledError, SandboxFailedError, TimeoutError } from "../../errors.js";
import type { WorkspaceOptions } from "../request-options.js";
import type { SandboxInfo } from "./sandbox-info.js";
import type { SandboxService } from "./sandbox-service.js";

/** Options of `ready()` and `deleted()`. */
export interface WaitOptions extends WorkspaceOptions {
  /** Give up after this long with TimeoutError. Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const defaultWaitMs = 5 * 60_000;

/**
 * Follows WatchSandbox until READY. The gateway's own `stop_on_terminal` ends only on READY and a
 * deleted sandbox ends the stream silently, so ERROR and a silent end are judged here.
 */
export async function waitForReady(
  service: SandboxService,
  name: string,
  id: string,
  options: WaitOptions,
): Promise<SandboxInfo> {
  return withWaitDeadline(`waiting for sandbox "${name}" to be ready`, options, async (signal, progress) => {
    for await (const event of service.watchById(name, id, { ...options, signal, status: true })) {
      if (event.type !== "sandbox") continue;
      const info = event.sandbox;
      progress.last = info;
      if (info.phase === "ready") return info;
      if (info.phase === "error" || info.phase === "deleting") {
        throw new SandboxFailedError({
          sandboxName: name,
          phase: info.phase,
          reason: info.reason,
          detail: info.message,
          exitCode: info.exitCode,
        });
      }
    }
    throw new SandboxFailedError({
      sandboxName: name,
      phase: "deleted",
      reason: "Deleted",
      detail: "the sandbox was deleted before it became ready",
      exitCode: undefined,
    });
  });
}

/** Follows WatchSandbox until its stream ends, which is how the gateway says the sandbox is gone. */
export async function waitForDeleted(
  service: SandboxService,
  name: string,
  id: string,
  options: WaitOptions,
): Promise<void> {
  await withWaitDeadline(`waiting for sandbox "${name}" to be deleted`, options, async (signal, progress) => {
    try {
      for await (const event of service.watchById(name, id, { ...options, signal, status: true })) {
        if (event.type === "sandbox") progress.last = event.sandbox;
      }
    } catch (err) {
      // Gone between the id lookup and the watch: that is what we were waiting for.
      if (err instanceof Error && "code" in err && err.code === "not_found") return;
      throw err;
    }
  });
}

interface Progress {
  last: SandboxInfo | undefined;
}

async function withWaitDeadline<T>(
  what: string,
  options: WaitOptions,
  body: (signal: AbortSignal, progress: Progress) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? defaultWaitMs;
  const controller = new AbortController();
  const progress: Progress = { last: undefined };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  if (options.signal?.aborted) throw new CanceledError(`${what}: canceled by the caller's AbortSignal`);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await body(controller.signal, progress);
  } catch (err) {
    if (timedOut) {
      const phase = progress.last
        ? `; last phase ${progress.last.phase}${progress.last.reason ? ` (${progress.last.reason})` : ""}`
        : "";
      throw new TimeoutError(`${what}: gave up after ${timeoutMs} ms${phase}`, { cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
