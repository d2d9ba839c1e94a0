import { SandboxFailedError } from "../../errors.js";
import { withWaitDeadline } from "../internal/wait-deadline.js";
import type { SandboxInfo } from "./sandbox-info.js";
import type { SandboxService } from "./sandbox-service.js";
import type { WaitOptions } from "./wait-for-phase.js";

/** How a run-to-completion sandbox ended: its main process exited, with this code. */
export interface SandboxResult {
  /** The main process's exit code: 0 is success; 128 + signal when a signal ended it. */
  exitCode: number;
  /**
   * `completed` for exit code 0 (also on an older gateway, which reports an exit 0 as ERROR with
   * exit code 0), `error` for any other exit code.
   */
  phase: "completed" | "error";
  /** The gateway's reason (`MainProcessCompleted`, `MainProcessFailed`, `MainProcessExited`, ...). */
  reason: string | undefined;
  /** Human-readable detail of `reason`. */
  message: string | undefined;
  /** The sandbox as the gateway last reported it. */
  sandbox: SandboxInfo;
}

/** Options of `wait()`: like `ready()`'s, but without a deadline unless you give one. */
export interface ResultWaitOptions extends Omit<WaitOptions, "timeoutMs"> {
  /** Give up after this long with TimeoutError (the sandbox keeps running). Default: no limit. */
  timeoutMs?: number;
}

/**
 * The result a snapshot holds once the main process has exited: phase COMPLETED, or ERROR with an
 * exit code (ERROR without one is an infrastructure failure, not an exit). Upstream's SEMANTICS: an
 * older gateway reports an exit 0 as ERROR with exit code 0, which means completed all the same.
 */
export function mainProcessResult(info: SandboxInfo): SandboxResult | undefined {
  const exited = info.phase === "completed" || (info.phase === "error" && info.exitCode !== undefined);
  if (!exited) return undefined;
  const exitCode = info.exitCode ?? 0;
  return {
    exitCode,
    phase: exitCode === 0 ? "completed" : "error",
    reason: info.reason,
    message: info.message,
    sandbox: info,
  };
}

/** The longest delay a Node timer keeps (24.8 days): "no limit" for a wait. */
const NO_LIMIT_MS = 2 ** 31 - 1;

/**
 * Follows WatchSandbox until the main process has exited and returns how. Only what is not the main
 * process exiting throws: an infrastructure failure (ERROR without exit code), a stop, a delete.
 */
export async function waitForResult(
  service: SandboxService,
  name: string,
  id: string,
  options: ResultWaitOptions,
): Promise<SandboxResult> {
  let last: SandboxInfo | undefined;
  const scope = { timeoutMs: options.timeoutMs ?? NO_LIMIT_MS, signal: options.signal };
  return withWaitDeadline(
    `waiting for the main process of sandbox "${name}" to finish`,
    scope,
    async (signal) => {
      for await (const event of service.watchById(name, id, { ...options, signal, status: true })) {
        if (event.type !== "sandbox") continue;
        const info = event.sandbox;
        last = info;
        const result = mainProcessResult(info);
        if (result) return result;
        if (info.phase === "error" || info.phase === "deleting" || info.phase === "stopped") {
          throw new SandboxFailedError({
            sandboxName: name,
            phase: info.phase,
            reason: info.reason,
            detail:
              info.phase === "stopped"
                ? "the sandbox was stopped before its main process finished; start it to run the command again"
                : info.message,
            exitCode: info.exitCode,
          });
        }
      }
      throw new SandboxFailedError({
        sandboxName: name,
        phase: "deleted",
        reason: "Deleted",
        detail: "the sandbox was deleted before its main process finished",
        exitCode: undefined,
      });
    },
    () => (last ? `; last phase ${last.phase}${last.reason ? ` (${last.reason})` : ""}` : ""),
  );
}
