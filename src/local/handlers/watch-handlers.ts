import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type OpenShell,
  type SandboxLogLine,
  SandboxPhase,
  type SandboxStreamEvent,
  SandboxStreamEventSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import { notFound } from "../protocol/gateway-errors.js";
import { type LogFilter, logFilter, matches } from "../protocol/log-filter.js";
import { logLine, type SandboxListener } from "../sandboxes/live-sandbox.js";
import type { SandboxManager } from "../sandboxes/sandbox-manager.js";
import type { LocalStateStore } from "../state/state-store.js";
import { AsyncQueue } from "../streams/async-queue.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** Defaults when the request leaves a count at 0 (SEMANTICS.md sections 3 and 5). */
const DEFAULT_LOG_TAIL = 200;
const DEFAULT_EVENT_TAIL = 50;
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

export function watchHandlers(sandboxes: SandboxManager, store: LocalStateStore): Handlers {
  return {
    async *watchSandbox(req, ctx) {
      const sandbox = sandboxes.byId(req.id);
      const filter = logFilter(req.logSinceMs, req.logSources, req.logMinLevel);
      const queue = new AsyncQueue<SandboxStreamEvent>();
      const push = (payload: SandboxStreamEvent["payload"]) =>
        queue.push(create(SandboxStreamEventSchema, { payload }));

      // Snapshot and subscription happen in one tick, so no change falls between them.
      const snapshot = sandbox.toProto();
      push({ case: "sandbox", value: snapshot });
      // Kept as the gateway does it: stop_on_terminal ends the stream on READY only (not ERROR).
      const endsOn = (phase: SandboxPhase | undefined) => req.stopOnTerminal && phase === SandboxPhase.READY;
      if (endsOn(snapshot.status?.phase)) queue.end();
      if (req.followLogs) {
        const tail = logTail(
          store,
          sandbox.id,
          sandbox.unflushedLogs,
          req.logTailLines || DEFAULT_LOG_TAIL,
          filter,
        );
        for (const line of tail.lines) {
          push({ case: "log", value: line });
        }
      }
      if (req.followEvents) {
        for (const event of sandbox.events.slice(-(req.eventTail || DEFAULT_EVENT_TAIL))) {
          push({ case: "event", value: event });
        }
      }
      if (!req.followStatus && !req.followLogs && !req.followEvents) queue.end();

      const listener: SandboxListener = {
        sandbox(next) {
          if (!req.followStatus) return;
          push({ case: "sandbox", value: next });
          if (endsOn(next.status?.phase)) queue.end();
        },
        log(line) {
          if (req.followLogs && matches(line, filter)) push({ case: "log", value: line });
        },
        event(event) {
          if (req.followEvents) push({ case: "event", value: event });
        },
        // The gateway ends the stream without a word when the sandbox is deleted.
        gone: () => queue.end(),
      };
      const onShutdown = () => queue.fail(sandboxes.shutdown.reason);
      const onClientGone = () => queue.end();
      if (!queue.closed) {
        sandbox.listeners.add(listener);
        sandboxes.shutdown.addEventListener("abort", onShutdown);
        ctx.signal.addEventListener("abort", onClientGone);
      }
      try {
        for await (const event of queue) {
          if (ctx.signal.aborted) return;
          yield event;
        }
      } finally {
        sandbox.listeners.delete(listener);
        sandboxes.shutdown.removeEventListener("abort", onShutdown);
        ctx.signal.removeEventListener("abort", onClientGone);
      }
    },

    async getSandboxLogs(req) {
      // Logs outlive the sandbox (up to the store's cap), so a deleted sandbox's id still answers.
      if (store.getSandbox(req.sandboxId) === undefined) throw notFound(`sandbox ${req.sandboxId} not found`);
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
