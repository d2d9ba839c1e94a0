import type { ServiceImpl } from "@connectrpc/connect";
import type { OpenShell, SandboxLogLine } from "../../gen/openshell/v1/openshell_pb.js";
import { notFound } from "../protocol/gateway-errors.js";
import { type LogFilter, logFilter, matches } from "../protocol/log-filter.js";
import { requiredField } from "../protocol/required-field.js";
import { sandboxById } from "../protocol/sandbox-lookup.js";
import { logLine } from "../sandboxes/live-sandbox.js";
import type { SandboxManager } from "../sandboxes/sandbox-manager.js";
import type { LocalStateStore } from "../state/state-store.js";
import { type WatchSource, watchSandbox } from "../streams/watch-sandbox.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** GetSandboxLogs' default when the request leaves `lines` at 0 (SEMANTICS.md section 5). */
const DEFAULT_LOG_LINES = 2000;

/**
 * The newest `count` lines of a sandbox that pass `filter`, oldest first: the stored ones, then those
 * a live sandbox's log pump has shown watchers but not written yet (so no line falls between a
 * watcher's tail and its subscription).
 */
function logTail(
  store: LocalStateStore,
  sandboxId: string,
  unflushed: readonly SandboxLogLine[],
  count: number,
  filter: LogFilter,
) {
  const { lines, total } = store.readLogs(sandboxId, Number.MAX_SAFE_INTEGER, Number(filter.sinceMs));
  const all = [
    ...lines.map((row) =>
      logLine(sandboxId, row.source, row.level, row.target, row.message, row.timestampMs),
    ),
    ...unflushed,
  ];
  const picked: SandboxLogLine[] = [];
  for (let i = all.length - 1; i >= 0 && picked.length < count; i--) {
    const line = all[i];
    if (line !== undefined && matches(line, filter)) picked.push(line);
  }
  return { lines: picked.reverse(), total: total + unflushed.length };
}

/** WatchSandbox over a live sandbox and GetSandboxLogs, with the logs in the state store. */
export function watchHandlers(sandboxes: SandboxManager, store: LocalStateStore): Handlers {
  return {
    async *watchSandbox(req, ctx) {
      const sandbox = sandboxById(sandboxes, req.id, "id");
      const source: WatchSource = {
        sandbox,
        logTail: (count, filter) => logTail(store, sandbox.id, sandbox.unflushedLogs, count, filter).lines,
        shutdown: sandboxes.shutdown,
      };
      yield* watchSandbox(req, source, ctx.signal);
    },

    async getSandboxLogs(req) {
      // Logs outlive the sandbox (up to the store's cap), so a deleted sandbox's id still answers.
      if (store.getSandbox(requiredField(req.sandboxId, "sandbox_id")) === undefined) {
        throw notFound(`sandbox ${req.sandboxId} not found`);
      }
      const filter = logFilter(req.sinceMs, req.sources, req.minLevel);
      const unflushed = sandboxes.live(req.sandboxId)?.unflushedLogs ?? [];
      const { lines, total } = logTail(
        store,
        req.sandboxId,
        unflushed,
        req.lines || DEFAULT_LOG_LINES,
        filter,
      );
      return { logs: lines, bufferTotal: total };
    },
  };
}
