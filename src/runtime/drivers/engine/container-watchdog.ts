import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { CanceledError, type OpenShellError } from "../../../errors.js";
import type { ContainerEvent } from "../../event-types.js";
import { jsonLines } from "../../streams/json-lines.js";
import type { EngineContext } from "./engine-context.js";
import { hasStatus } from "./engine-errors.js";
import { toContainerEvent } from "./engine-events.js";

/** What a watch is told, once: the container stopped, or the engine can no longer say whether it has. */
export type ContainerStopNotice =
  | { kind: "stopped"; exitCode: number | null }
  | { kind: "lost"; error: OpenShellError };

export interface ContainerWatch {
  /** Ends the watch; nothing is told after this. */
  stop(): void;
}

export interface WatchdogTimings {
  /** After the last watch ends, how long the event stream stays open for the next one. */
  lingerMs: number;
  /** The waits before each attempt to re-open the event stream after it dropped. */
  reconnectDelaysMs: readonly number[];
}

const DEFAULT_TIMINGS: WatchdogTimings = { lingerMs: 10_000, reconnectDelaysMs: [0, 250, 500, 1_000] };

/**
 * The event names that mean a container no longer runs, as the engines' filters spell them: Docker's
 * `die` and `destroy`; Podman 4's compat filter wants `died` and `remove` (and reports `die`). An
 * engine ignores the names it does not use.
 */
const EXIT_EVENT_FILTER = ["die", "destroy", "died", "remove"];
/** The same events once parsed (toContainerEvent calls Podman's `died` `die`). */
const EXIT_ACTIONS = new Set(["die", "destroy", "remove"]);
const HEX = /^[0-9a-f]+$/;

interface Watch {
  /** The id, id prefix or name the stream's caller gave. */
  ref: string;
  notify(notice: ContainerStopNotice): void;
}

/**
 * Tells open streams when their container stops running. Engines do not always end an exec's or a
 * log's stream when the container dies under it (the process that held it open is gone, the
 * connection is not), so each such stream watches its container, and this turns the hang into an
 * error (exec, at once) or an end (logs follow, after a second left for the log's tail).
 *
 * One engine event stream per driver serves every watch, and costs nothing while nothing happens:
 * no polling. It asks the engine only for exit events and picks the watched containers out itself,
 * because an engine's filter is fixed per request: filtering by container would mean a new request
 * (and a moment with no stream) each time a stream opens on another container. When the event
 * stream drops it is re-opened at once and every watched container is inspected once, for deaths
 * that fell in between; when it cannot be re-opened, every watch is told the engine is lost, so an
 * outage is an error rather than a hang.
 */
export class ContainerWatchdog {
  private readonly watches = new Set<Watch>();
  private live: { stream: Readable; controller: AbortController } | undefined;
  private opening: Promise<void> | undefined;
  private lingering: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly engine: EngineContext,
    private readonly timings: WatchdogTimings = DEFAULT_TIMINGS,
  ) {}

  /**
   * Watches container `ref` (id, id prefix or name). Resolves once the event stream is open, so a
   * stream opened after that cannot miss the container's death; `onStop` is then called at most
   * once. Rejects (with `what` leading the message) when the engine cannot be reached.
   */
  async watch(
    ref: string,
    onStop: (notice: ContainerStopNotice) => void,
    what: string,
    signal?: AbortSignal,
  ): Promise<ContainerWatch> {
    signal?.throwIfAborted();
    const watch: Watch = { ref: ref.replace(/^\//, ""), notify: onStop };
    this.watches.add(watch);
    clearTimeout(this.lingering);
    const stop = () => {
      if (this.watches.delete(watch)) this.whenIdle();
    };
    try {
      await untilAborted(this.ensureLive(), signal, what);
    } catch (error) {
      stop();
      throw this.engine.error(error, what);
    }
    return { stop };
  }

  /** Closes the event stream once no stream is watched any more (at once if none is). */
  close(): void {
    this.closed = true;
    this.whenIdle();
  }

  private ensureLive(): Promise<void> {
    if (this.live !== undefined) return Promise.resolve();
    this.opening ??= this.subscribe().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async subscribe(): Promise<void> {
    const controller = new AbortController();
    const stream = (await this.engine.docker.getEvents({
      filters: { type: ["container"], event: EXIT_EVENT_FILTER },
      abortSignal: controller.signal,
    })) as unknown as Readable;
    // The event stream alone must not keep the process alive: the streams it watches do that.
    (stream as Partial<IncomingMessage>).socket?.unref();
    const live = { stream, controller };
    this.live = live;
    void this.read(live);
    this.whenIdle();
  }

  private async read(live: { stream: Readable; controller: AbortController }): Promise<void> {
    try {
      for await (const message of jsonLines(live.stream as AsyncIterable<Buffer>)) {
        const event = toContainerEvent(message);
        if (event !== undefined && EXIT_ACTIONS.has(event.action)) this.onExit(event);
      }
    } catch {
      // A broken event stream is handled as its end, below.
    }
    if (this.live !== live) return; // closed here
    this.live = undefined;
    live.stream.destroy();
    if (this.watches.size > 0) void this.reconnect();
  }

  private onExit(event: ContainerEvent): void {
    for (const watch of [...this.watches]) {
      if (watch.ref === event.id || watch.ref === event.name) {
        this.tell(watch, { kind: "stopped", exitCode: event.exitCode ?? null });
      } else if (HEX.test(watch.ref) && event.id.startsWith(watch.ref)) {
        // An id prefix could also be another container's name: ask the engine which it is.
        void this.check(watch);
      }
    }
  }

  /** Re-opens a dropped event stream and looks for deaths it missed; tells every watch when it cannot. */
  private async reconnect(): Promise<void> {
    let failure: unknown;
    for (const delayMs of this.timings.reconnectDelaysMs) {
      if (delayMs > 0) await sleep(delayMs, undefined, { ref: false });
      if (this.watches.size === 0) return;
      try {
        await this.ensureLive();
        await Promise.all([...this.watches].map((watch) => this.check(watch)));
        return;
      } catch (error) {
        failure = error;
      }
    }
    const error = this.engine.error(failure, "re-open the container event stream");
    for (const watch of [...this.watches]) this.tell(watch, { kind: "lost", error });
  }

  /** One inspect: tells the watch if its container no longer runs. */
  private async check(watch: Watch): Promise<void> {
    try {
      const state = (await this.engine.docker.getContainer(watch.ref).inspect()).State;
      if (!state.Running) this.tell(watch, { kind: "stopped", exitCode: state.ExitCode ?? null });
    } catch (error) {
      // Gone is stopped. Anything else is no stop: the event stream is open again, and an engine
      // that died meanwhile breaks it, which comes back here.
      if (hasStatus(error, 404)) this.tell(watch, { kind: "stopped", exitCode: null });
    }
  }

  private tell(watch: Watch, notice: ContainerStopNotice): void {
    if (!this.watches.delete(watch)) return;
    watch.notify(notice);
    this.whenIdle();
  }

  /** With no watch left, closes the event stream: at once after close(), else after a while. */
  private whenIdle(): void {
    if (this.watches.size > 0 || this.live === undefined) return;
    clearTimeout(this.lingering);
    if (this.closed) {
      this.shut();
      return;
    }
    this.lingering = setTimeout(() => {
      if (this.watches.size === 0) this.shut();
    }, this.timings.lingerMs).unref();
  }

  private shut(): void {
    const live = this.live;
    this.live = undefined;
    clearTimeout(this.lingering);
    live?.controller.abort();
    live?.stream.destroy();
  }
}

/** `promise`, or CanceledError as soon as `signal` aborts (the shared work itself goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
