import { SANDBOX_SCOPED_RECORD_KINDS } from "../state/sandbox-scoped-records.js";
import type { LocalStateStore } from "../state/state-store.js";

const KIND = SANDBOX_SCOPED_RECORD_KINDS.logCursor;
/** One cursor per sandbox: only its current container's output is followed. */
const NAME = "main_process";

/**
 * How far the gateway has read a container's log when the runtime gives no timestamps to resume by:
 * stored as a record (kind `log-cursor`, scope the sandbox id) in the same transaction as the lines.
 * The stored log cannot serve as this count: it is trimmed to the newest lines.
 */
export interface LogCursor {
  /** The container whose log this counts; another container's log starts at 0. */
  containerId: string;
  /**
   * When the counted run of that container started. Apple's runtime empties a container's log each
   * time it starts the container, so a later run's log starts at 0 too. Absent when not known.
   */
  runStartedMs?: number;
  /** Lines of that container's log, as the runtime replays it, already stored (or skipped for good). */
  consumed: number;
  /** The timestamp given to the last line stored; the next one is never earlier. */
  lastTimestampMs: number;
}

/**
 * The sandbox's cursor in the log of `containerId`'s run that started at `runStartedMs`; a cursor of
 * another container, or of another run of it, counts from 0 (it keeps only the last timestamp).
 */
export function readLogCursor(
  store: LocalStateStore,
  sandboxId: string,
  containerId: string,
  runStartedMs: number | undefined,
): LogCursor {
  const stored = store.records.get<LogCursor>(KIND, sandboxId, NAME)?.record;
  const cursor: LogCursor = {
    containerId,
    ...(runStartedMs === undefined ? {} : { runStartedMs }),
    consumed: 0,
    lastTimestampMs: stored?.lastTimestampMs ?? 0,
  };
  if (stored?.containerId === containerId && stored.runStartedMs === runStartedMs) {
    cursor.consumed = stored.consumed;
  }
  return cursor;
}

/** Replaces the sandbox's cursor; call it inside the transaction that stores the lines it counts. */
export function writeLogCursor(store: LocalStateStore, sandboxId: string, cursor: LogCursor): void {
  store.records.put<LogCursor>(KIND, sandboxId, NAME, cursor);
}
