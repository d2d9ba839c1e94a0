import { SandboxFailedError } from "../../errors.js";
import { withWaitDeadline } from "../internal/wait-deadline.js";
import type { WorkspaceOptions } from "../request-options.js";
import type { SandboxInfo } from "./sandbox-info.js";
import { mainProcessResult } from "./sandbox-result.js";
import type { SandboxService } from "./sandbox-service.js";

/** Options of `ready()`, `deleted()` and (with no default deadline) `wait()`. */
export interface WaitOptions extends WorkspaceOptions {
  /** Give up after this long with TimeoutError. Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const defaultWaitMs = 5 * 60_000;

/**
 * Follows WatchSandbox until READY. An older gateway's `stop_on_terminal` ends only on READY and a
 * deleted sandbox ends the stream silently, so ERROR, COMPLETED and a silent end are judged here.
 * A sandbox whose main process has finished (COMPLETED, or an older gateway's ERROR with exit code
 * 0) is not ready either: it fails as `completed` with its exit code.
 */
export async function waitForReady(
  service: SandboxService,
  name: string,
  id: string,
  options: WaitOptions,
): Promise<SandboxInfo> {
  let last: SandboxInfo | undefined;
  return withWaitDeadline(
    `waiting for sandbox "${name}" to be ready`,
    scope(options),
    async (signal) => {
      for await (const event of service.watchById(name, id, { ...options, signal, status: true })) {
        if (event.type !== "sandbox") continue;
        const info = event.sandbox;
        last = info;
        if (info.phase === "ready") return info;
        const finished = mainProcessResult(info);
        if (finished) {
          throw new SandboxFailedError({
            sandboxName: name,
            phase: finished.phase,
            reason: finished.reason,
            detail:
              finished.phase === "completed"
                ? "its main process already finished, so it will not be ready; use wait() for a command that runs to completion"
                : info.message,
            exitCode: finished.exitCode,
          });
        }
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
    },
    () => lastPhase(last),
  );
}

/** Follows WatchSandbox until its stream ends, which is how the gateway says the sandbox is gone. */
export async function waitForDeleted(
  service: SandboxService,
  name: string,
  id: string,
  options: WaitOptions,
): Promise<void> {
  let last: SandboxInfo | undefined;
  await withWaitDeadline(
    `waiting for sandbox "${name}" to be deleted`,
    scope(options),
    async (signal) => {
      try {
        for await (const event of service.watchById(name, id, { ...options, signal, status: true })) {
          if (event.type === "sandbox") last = event.sandbox;
        }
      } catch (err) {
        // Gone between the id lookup and the watch: that is what we were waiting for.
        if (err instanceof Error && "code" in err && err.code === "not_found") return;
        throw err;
      }
    },
    () => lastPhase(last),
  );
}

function scope(options: WaitOptions) {
  return { timeoutMs: options.timeoutMs ?? defaultWaitMs, signal: options.signal };
}

function lastPhase(last: SandboxInfo | undefined): string {
  return last ? `; last phase ${last.phase}${last.reason ? ` (${last.reason})` : ""}` : "";
}
