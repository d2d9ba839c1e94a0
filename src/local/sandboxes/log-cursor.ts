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
  /** Lines of that container's log, as the runtime replays it, already stored (or skipped for good). */
  consumed: number;
  /** The timestamp given to the last line stored; the next one is never earlier. */
  lastTimestampMs: number;
}

/** The sandbox's cursor in `containerId`'s log; a cursor of another container counts from 0. */
export function readLogCursor(store: LocalStateStore, sandboxId: string, containerId: string): LogCursor {
  const stored = store.records.get<LogCursor>(KIND, sandboxId, NAME)?.record;
  const lastTimestampMs = stored?.lastTimestampMs ?? 0;
  if (stored?.containerId !== containerId) return { containerId, consumed: 0, lastTimestampMs };
  return { containerId, consumed: stored.consumed, lastTimestampMs };
}

/** Replaces the sandbox's cursor; call it inside the transaction that stores the lines it counts. */
export function writeLogCursor(store: LocalStateStore, sandboxId: string, cursor: LogCursor): void {
  store.records.put<LogCursor>(KIND, sandboxId, NAME, cursor);
}
