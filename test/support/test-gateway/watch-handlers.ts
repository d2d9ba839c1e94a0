import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type OpenShell,
  SandboxPhase,
  type SandboxStreamEvent,
  SandboxStreamEventSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { AsyncQueue } from "./async-queue.js";
import type { GatewayState } from "./gateway-state.js";
import { logBufferCapacity, logFilter, matches } from "./log-buffer.js";
import type { SandboxListener } from "./sandbox-record.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** Defaults when the request leaves a count at 0. */
const defaultLogTail = 200;
const defaultEventTail = 50;

export function watchHandlers(state: GatewayState): Handlers {
  return {
    async *watchSandbox(req, ctx) {
      const record = state.sandboxById(req.id);
      const filter = logFilter(req.logSinceMs, req.logSources, req.logMinLevel);
      const queue = new AsyncQueue<SandboxStreamEvent>();
      const push = (payload: SandboxStreamEvent["payload"]) =>
        queue.push(create(SandboxStreamEventSchema, { payload }));

      // Snapshot and subscription happen in one tick, so no change falls between them.
      const snapshot = record.toProto();
      push({ case: "sandbox", value: snapshot });
      // Upstream quirk kept on purpose: stop_on_terminal ends the stream on READY only (not ERROR).
      const endsOn = (phase: SandboxPhase | undefined) => req.stopOnTerminal && phase === SandboxPhase.READY;
      if (endsOn(snapshot.status?.phase)) queue.end();
      if (req.followLogs) {
        for (const line of record.logs.tail(req.logTailLines || defaultLogTail, filter)) {
          push({ case: "log", value: line });
        }
      }
      if (req.followEvents) {
        for (const event of record.events.slice(-(req.eventTail || defaultEventTail))) {
          push({ case: "event", value: event });
        }
      }
      if (!req.followStatus && !req.followLogs && !req.followEvents) queue.end();

      const listener: SandboxListener = {
        sandbox(sandbox) {
          if (!req.followStatus) return;
          push({ case: "sandbox", value: sandbox });
          if (endsOn(sandbox.status?.phase)) queue.end();
        },
        log(line) {
          if (req.followLogs && matches(line, filter)) push({ case: "log", value: line });
        },
        event(event) {
          if (req.followEvents) push({ case: "event", value: event });
        },
        // Upstream ends the stream without a word when the sandbox is deleted.
        gone: () => queue.end(),
      };
      const onShutdown = () => queue.fail(state.shutdown.signal.reason);
      // A client that goes away must not leave a listener behind on a long-lived sandbox.
      const onClientGone = () => queue.end();
      if (!queue.closed) {
        record.listeners.add(listener);
        state.shutdown.signal.addEventListener("abort", onShutdown);
        ctx.signal.addEventListener("abort", onClientGone);
      }
      try {
        for await (const event of queue) {
          if (ctx.signal.aborted) return;
          yield event;
        }
      } finally {
        record.listeners.delete(listener);
        state.shutdown.signal.removeEventListener("abort", onShutdown);
        ctx.signal.removeEventListener("abort", onClientGone);
      }
    },

    async getSandboxLogs(req) {
      const record = state.sandboxById(req.sandboxId);
      const filter = logFilter(req.sinceMs, req.sources, req.minLevel);
      const lines = Math.min(req.lines || logBufferCapacity, logBufferCapacity);
      return { logs: record.logs.tail(lines, filter), bufferTotal: record.logs.total };
    },
  };
}
