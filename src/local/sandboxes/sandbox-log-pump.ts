import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { LocalStateStore } from "../state/state-store.js";
import { pumpUntimestampedLogs } from "./counted-log-pump.js";
import type { LiveSandbox } from "./live-sandbox.js";
import { MainProcessLogBatch } from "./main-process-log-batch.js";

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
  const batch = new MainProcessLogBatch(sandbox, (lines) => store.appendLogs(sandbox.id, lines));
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
      batch.add(line.stream, line.text, timestampMs);
    }
  } catch (error) {
    // An aborted pump is the gateway closing or the sandbox going away; anything else (the engine
    // restarting, the container removed) ends the pump too, and the caller re-reads the container.
    if (!signal.aborted) throw error;
  } finally {
    batch.flush();
  }
}
