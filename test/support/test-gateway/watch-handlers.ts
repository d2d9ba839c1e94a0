import type { ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type WatchSource, watchSandbox } from "../../../src/local/streams/watch-sandbox.js";
import type { GatewayState } from "./gateway-state.js";
import { logBufferCapacity, logFilter } from "./log-buffer.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** WatchSandbox (the local gateway's stream) and GetSandboxLogs, over each record's in-memory ring. */
export function watchHandlers(state: GatewayState): Handlers {
  return {
    async *watchSandbox(req, ctx) {
      const record = state.sandboxById(req.id);
      const source: WatchSource = {
        sandbox: record,
        logTail: (count, filter) => record.logs.tail(count, filter),
        shutdown: state.shutdown.signal,
      };
      yield* watchSandbox(req, source, ctx.signal);
    },

    async getSandboxLogs(req) {
      const record = state.sandboxById(req.sandboxId);
      const filter = logFilter(req.sinceMs, req.sources, req.minLevel);
      const lines = Math.min(req.lines || logBufferCapacity, logBufferCapacity);
      return { logs: record.logs.tail(lines, filter), bufferTotal: record.logs.total };
    },
  };
}
