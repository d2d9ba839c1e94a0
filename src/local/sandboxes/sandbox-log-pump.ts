import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { LocalStateStore, StoredLogLine } from "../state/state-store.js";
import { pumpUntimestampedLogs } from "./counted-log-pump.js";
import { type LiveSandbox, logLine } from "./live-sandbox.js";

/** Lines are written to the store in batches: one transaction per flush, not per line. */
const FLUSH_INTERVAL_MS = 100;
const FLUSH_LINES = 500;

/** The main process's output as log lines: stdout is INFO, stderr WARN (as the gateway labels them). */
const LEVEL = { stdout: "INFO", stderr: "WARN" } as const;

/**
 * Follows a sandbox container's output into the sandbox's log (source `sandbox`) until the container
 * stops or `signal` aborts: watchers see each line at once, the state store gets them in batches.
 *
 * It resumes after the last line already stored, wherever that line came from (an earlier pump, a
 * gateway that was killed): the store itself is the cursor, so no line is stored twice and none is
 * lost. A timestamp alone cannot be the cursor: Podman's compat API reports whole seconds, so lines
 * written in the same second as the last stored one would be skipped. The cursor is that timestamp
 * and how many stored lines carry it; the engine replays a log in the order it wrote it, so the first
 * that many lines with that timestamp are the stored ones.
 *
 * A runtime without the capability `log-timestamps` is followed by {@link pumpUntimestampedLogs}
 * instead: lines stamped when read, and a stored count of lines read as the cursor.
 */
export async function pumpContainerLogs(
  runtime: ContainerRuntime,
  store: LocalStateStore,
  sandbox: LiveSandbox,
  containerId: string,
  signal: AbortSignal,
): Promise<void> {
  if (!runtime.capabilities.has("log-timestamps")) {
    return pumpUntimestampedLogs(runtime, store, sandbox, containerId, signal);
  }
  const cursor = store.lastLogPosition(sandbox.id, "sandbox");
  let skipAtCursor = cursor?.count ?? 0;
  let pending: Omit<StoredLogLine, "sandboxId" | "seq">[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const lines = pending;
    pending = [];
    if (lines.length > 0) store.appendLogs(sandbox.id, lines);
    sandbox.unflushedLogs.splice(0, lines.length);
  };
  try {
    const lines = runtime.logs(containerId, {
      follow: true,
      timestamps: true,
      // The engines' `since` is whole seconds at best: ask from the cursor's second, skip the rest here.
      ...(cursor ? { since: new Date(Math.floor(cursor.timestampMs / 1000) * 1000) } : {}),
      signal,
    });
    for await (const line of lines) {
      const timestampMs = line.timestamp?.getTime() ?? Date.now();
      if (cursor && timestampMs < cursor.timestampMs) continue;
      if (cursor && timestampMs === cursor.timestampMs && skipAtCursor > 0) {
        skipAtCursor -= 1;
        continue;
      }
      const level = LEVEL[line.stream];
      const text = line.text.replace(/\r?\n$/, "");
      pending.push({ timestampMs, level, source: "sandbox", target: "main_process", message: text });
      const wire = logLine(sandbox.id, "sandbox", level, "main_process", text, timestampMs);
      sandbox.unflushedLogs.push(wire);
      sandbox.emitLog(wire);
      if (pending.length >= FLUSH_LINES) flush();
      else timer ??= setTimeout(flush, FLUSH_INTERVAL_MS);
    }
  } catch (error) {
    // An aborted pump is the gateway closing or the sandbox going away; anything else (the engine
    // restarting, the container removed) ends the pump too, and the caller re-reads the container.
    if (!signal.aborted) throw error;
  } finally {
    flush();
  }
}
