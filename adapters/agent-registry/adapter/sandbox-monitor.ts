import { NotFoundError, type OpenShell, type SandboxInfo, type SandboxLogLine } from "openshell";
import { pause } from "./pause.js";

/** Where a watched sandbox stands. */
export type SandboxState =
  | { kind: "pending"; info?: SandboxInfo }
  | { kind: "ready"; info: SandboxInfo }
  | { kind: "exited"; info: SandboxInfo; exitCode: number | undefined; completed: boolean }
  | { kind: "failed"; info: SandboxInfo }
  | { kind: "deleted" }
  | { kind: "unreachable"; error: unknown };

/** What a sandbox snapshot means for a deployment. */
export function stateOf(info: SandboxInfo): SandboxState {
  // COMPLETED: the main process exited 0, on gateways that report it.
  if (info.phase === "completed")
    return { kind: "exited", info, exitCode: info.exitCode ?? 0, completed: true };
  if (info.phase === "ready") return { kind: "ready", info };
  if (info.phase === "error") {
    // Older gateways report an exit 0 as ERROR with exit_code 0: it means completed too.
    if (info.exitCode !== undefined || info.reason === "MainProcessExited") {
      return { kind: "exited", info, exitCode: info.exitCode, completed: info.exitCode === 0 };
    }
    return { kind: "failed", info };
  }
  return { kind: "pending", info };
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * Follows one sandbox on the gateway's watch stream (no polling) and tells `onState` where it
 * stands after every snapshot. A broken stream is opened again with backoff (reported as
 * `unreachable` meanwhile); a stream that ends, or a sandbox the gateway no longer knows, is
 * `deleted`. Runs until `signal` fires or the sandbox is deleted.
 */
export async function monitorSandbox(
  client: OpenShell,
  name: string,
  signal: AbortSignal,
  onState: (state: SandboxState) => void,
): Promise<void> {
  let retryMs = RETRY_FIRST_MS;
  while (!signal.aborted) {
    try {
      for await (const event of client.sandboxes.watch(name, { signal, logs: false, events: false })) {
        if (event.type !== "sandbox") continue;
        retryMs = RETRY_FIRST_MS;
        onState(stateOf(event.sandbox));
      }
      if (!signal.aborted) onState({ kind: "deleted" });
      return;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof NotFoundError) {
        onState({ kind: "deleted" });
        return;
      }
      onState({ kind: "unreachable", error: err });
      await pause(retryMs, signal);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    }
  }
}

/**
 * A sandbox's last log lines, as text for a condition's message ("" when it has none or they cannot
 * be read). The gateway may store a process's last lines just after it reports the exit, so an
 * answer without the main process's lines is asked again a few times, for up to about 2 seconds;
 * after that, whatever lines the sandbox has.
 */
export async function lastLogLines(client: OpenShell, name: string, count = 10): Promise<string> {
  let lines: SandboxLogLine[] = [];
  for (let attempt = 0; attempt < 8; attempt += 1) {
    try {
      lines = await client.sandboxes.handle(name).logs({ lines: count, timeoutMs: 5_000 });
    } catch {
      return "";
    }
    const main = lines.filter((line) => line.target === "main_process");
    if (main.length > 0) return main.map((line) => line.message).join("\n");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return lines.map((line) => line.message).join("\n");
}
