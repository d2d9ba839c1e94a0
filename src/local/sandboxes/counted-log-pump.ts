import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { LocalStateStore } from "../state/state-store.js";
import { type LiveSandbox, logLine } from "./live-sandbox.js";
import { type LogCursor, readLogCursor, writeLogCursor } from "./log-cursor.js";
import { MainProcessLogBatch } from "./main-process-log-batch.js";

/**
 * Follows a sandbox container's output into the sandbox's log on a runtime whose logs carry no
 * timestamps (capability `log-timestamps` absent, e.g. Apple's `container logs`): each line is
 * stamped when the gateway reads it, never earlier than the line stored before it.
 *
 * Without timestamps there is nothing in a line to resume after, so the cursor is a count: how many
 * lines of this container's log (as the runtime replays it from its start) are already stored. It is
 * a record (see log-cursor.ts) written in the same transaction as the lines it counts, so a gateway
 * killed between two flushes resumes exactly after the last stored line. A resumed pump re-reads the
 * whole log and skips that many lines; a new container (its id differs) starts from 0, and so does a
 * new run of the same container (its start time differs): Apple's runtime empties the log of a
 * container each time it starts it.
 *
 * A runtime that now replays fewer lines than the cursor counts has rotated or truncated the log: the
 * lines it still holds cannot be told apart from those already stored, so all of them are skipped
 * (none is stored twice) and one WARN gateway line says that lines written meanwhile may be lost. The
 * cursor then counts the shorter log, so the warning is not repeated on the next resume.
 */
export async function pumpUntimestampedLogs(
  runtime: ContainerRuntime,
  store: LocalStateStore,
  sandbox: LiveSandbox,
  containerId: string,
  signal: AbortSignal,
): Promise<void> {
  // Which run's log this is (see LogCursor.runStartedMs), asked of the runtime itself: the sandbox's
  // own view may still be the run before, when a pump is started right after the container was.
  let runStartedMs: number | undefined;
  try {
    runStartedMs = (await runtime.inspectContainer(containerId, { signal })).startedAt?.getTime();
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
  const cursor = readLogCursor(store, sandbox.id, containerId, runStartedMs);
  // The cursor's timestamp survives the trim of old lines; the stored log covers a cursor of an older
  // container or none at all (lines stored before this gateway kept cursors).
  cursor.lastTimestampMs = Math.max(
    cursor.lastTimestampMs,
    store.lastLogPosition(sandbox.id, "sandbox")?.timestampMs ?? 0,
  );
  // The cursor counts exactly the lines of the batch being written: it is read when the batch is.
  const batch = new MainProcessLogBatch(sandbox, (lines) => {
    const counted: LogCursor = { ...cursor };
    store.records.atomically(() => {
      store.appendLogs(sandbox.id, lines);
      writeLogCursor(store, sandbox.id, counted);
    });
  });
  try {
    if (cursor.consumed > 0) await checkReplayLength(runtime, store, sandbox, cursor, signal);
    let skip = cursor.consumed;
    for await (const line of runtime.logs(containerId, { follow: true, signal })) {
      if (skip > 0) {
        skip -= 1;
        continue;
      }
      const timestampMs = Math.max(Date.now(), cursor.lastTimestampMs);
      cursor.lastTimestampMs = timestampMs;
      cursor.consumed += 1;
      batch.add(line.stream, line.text, timestampMs);
    }
  } catch (error) {
    // As with timestamped logs: an abort is the gateway closing or the sandbox going away; anything
    // else ends the pump too, and the caller re-reads the container.
    if (!signal.aborted) throw error;
  } finally {
    batch.flush();
  }
}

/**
 * Counts the lines the runtime replays now (up to the cursor's count) and, when there are fewer, warns
 * once and moves the cursor back to what the runtime holds, in one transaction.
 */
async function checkReplayLength(
  runtime: ContainerRuntime,
  store: LocalStateStore,
  sandbox: LiveSandbox,
  cursor: LogCursor,
  signal: AbortSignal,
): Promise<void> {
  let replayed = 0;
  for await (const _line of runtime.logs(cursor.containerId, { signal })) {
    replayed += 1;
    if (replayed >= cursor.consumed) return;
  }
  const message =
    `the runtime now replays ${replayed} lines of container ${cursor.containerId}'s log, fewer than the ` +
    `${cursor.consumed} already read: it rotated or truncated the log. Its ${replayed} lines are skipped so ` +
    "none is stored twice; lines the container wrote while no gateway followed it may be missing here " +
    "(read them in the container, or keep a gateway running to follow the log)";
  const timestampMs = Math.max(Date.now(), cursor.lastTimestampMs);
  cursor.consumed = replayed;
  const counted: LogCursor = { ...cursor };
  store.records.atomically(() => {
    store.appendLogs(sandbox.id, [
      { timestampMs, level: "WARN", source: "gateway", target: "openshell_local", message },
    ]);
    writeLogCursor(store, sandbox.id, counted);
  });
  sandbox.emitLog(logLine(sandbox.id, "gateway", "WARN", "openshell_local", message, timestampMs));
}
