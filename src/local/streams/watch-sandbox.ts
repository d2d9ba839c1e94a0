import { create } from "@bufbuild/protobuf";
import {
  type SandboxLogLine,
  SandboxPhase,
  type SandboxStreamEvent,
  SandboxStreamEventSchema,
  type WatchSandboxRequest,
} from "../../gen/openshell/v1/openshell_pb.js";
import { type LogFilter, logFilter, matches } from "../protocol/log-filter.js";
import { BufferedQueue } from "./buffered-queue.js";
import type { SandboxListener, WatchableSandbox } from "./watchable-sandbox.js";

/** Defaults when the request leaves a count at 0 (SEMANTICS.md section 3). */
const DEFAULT_LOG_TAIL = 200;
const DEFAULT_EVENT_TAIL = 50;

/** The phases `stop_on_terminal` ends a WatchSandbox stream on. */
const TERMINAL: ReadonlySet<SandboxPhase> = new Set([
  SandboxPhase.READY,
  SandboxPhase.COMPLETED,
  SandboxPhase.STOPPED,
  SandboxPhase.ERROR,
]);

/** One sandbox as a WatchSandbox stream follows it; each gateway keeps its logs its own way. */
export interface WatchSource {
  sandbox: Pick<WatchableSandbox, "toProto" | "events" | "listeners">;
  /** The newest `count` log lines that pass `filter`, oldest first. */
  logTail(count: number, filter: LogFilter): readonly SandboxLogLine[];
  /** Aborted when the gateway closes: the stream then fails with the abort reason. */
  shutdown: AbortSignal;
}

/**
 * The WatchSandbox stream: a snapshot, the requested log and event tails, then every change until the
 * sandbox is deleted (a silent end), the gateway closes (the shutdown reason) or the client goes away.
 */
export async function* watchSandbox(
  req: WatchSandboxRequest,
  source: WatchSource,
  clientSignal: AbortSignal,
): AsyncGenerator<SandboxStreamEvent> {
  const { sandbox, shutdown } = source;
  const filter = logFilter(req.logSinceMs, req.logSources, req.logMinLevel, {
    sources: "log_sources",
    minLevel: "log_min_level",
  });
  const queue = new BufferedQueue<SandboxStreamEvent>();
  const push = (payload: SandboxStreamEvent["payload"]) =>
    queue.push(create(SandboxStreamEventSchema, { payload }));

  // Snapshot and subscription happen in one tick, so no change falls between them.
  const snapshot = sandbox.toProto();
  push({ case: "sandbox", value: snapshot });
  // As upstream's server since PR #2884: stop_on_terminal ends the stream on READY and on the phases
  // a sandbox stays in until a lifecycle call (COMPLETED, STOPPED, ERROR).
  const endsOn = (phase: SandboxPhase | undefined) =>
    req.stopOnTerminal && phase !== undefined && TERMINAL.has(phase);
  if (endsOn(snapshot.status?.phase)) queue.end();
  if (req.followLogs) {
    for (const line of source.logTail(req.logTailLines || DEFAULT_LOG_TAIL, filter)) {
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
  const unsubscribe = () => {
    sandbox.listeners.delete(listener);
    shutdown.removeEventListener("abort", onShutdown);
    clientSignal.removeEventListener("abort", onClientGone);
  };
  const onShutdown = () => queue.fail(shutdown.reason);
  // A client that goes away must not leave a listener behind on a long-lived sandbox. Unsubscribe
  // here, not only in `finally`: over an in-memory transport a consumer that stops reading never
  // resumes this generator, so its `finally` may never run.
  const onClientGone = () => {
    unsubscribe();
    queue.end();
  };
  // A stream that already ended (snapshot only, or a terminal phase with stop_on_terminal) subscribes to nothing.
  if (!queue.closed) {
    sandbox.listeners.add(listener);
    shutdown.addEventListener("abort", onShutdown);
    clientSignal.addEventListener("abort", onClientGone);
  }
  try {
    for await (const event of queue) {
      if (clientSignal.aborted) return;
      yield event;
    }
  } finally {
    unsubscribe();
  }
}
