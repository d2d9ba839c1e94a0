import { create } from "@bufbuild/protobuf";
import {
  type PlatformEvent,
  PlatformEventSchema,
  type Sandbox,
  type SandboxLogLine,
} from "../../gen/openshell/v1/openshell_pb.js";

/** What a watcher hears about one sandbox; every callback is optional. */
export interface SandboxListener {
  sandbox?(sandbox: Sandbox): void;
  log?(line: SandboxLogLine): void;
  event?(event: PlatformEvent): void;
  /** The sandbox was deleted: the gateway ends watch streams silently at this point. */
  gone?(): void;
}

/** Platform events kept in memory for `event_tail`. */
const EVENTS_KEPT = 200;

/**
 * The watcher side of a sandbox, whatever plays it (a container here, a host process in the test
 * gateway): the listeners WatchSandbox streams subscribe, and the recent platform events a new
 * watcher is replayed. Subclasses say what the sandbox looks like on the wire and when it changed.
 */
export abstract class WatchableSandbox {
  readonly listeners = new Set<SandboxListener>();
  /** The newest platform events, oldest first. */
  readonly events: PlatformEvent[] = [];

  constructor(readonly id: string) {}

  /** The sandbox as the protocol returns it; what `announce()` sends. */
  abstract toProto(): Sandbox;

  /** Tells every watcher the sandbox as it is now. */
  announce(): void {
    const snapshot = this.toProto();
    for (const listener of this.listeners) listener.sandbox?.(snapshot);
  }

  /** Tells every watcher a new log line; where the line is kept is the subclass's business. */
  emitLog(line: SandboxLogLine): void {
    for (const listener of this.listeners) listener.log?.(line);
  }

  /** Records a platform event (kept for `event_tail`) and tells every watcher. */
  addEvent(type: "Normal" | "Warning", reason: string, message: string): void {
    const event = create(PlatformEventSchema, {
      timestampMs: BigInt(Date.now()),
      source: "gateway",
      type,
      reason,
      message,
      metadata: { sandbox_id: this.id },
    });
    this.events.push(event);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
    for (const listener of this.listeners) listener.event?.(event);
  }

  /** The sandbox was deleted: every watcher is told once and dropped. */
  gone(): void {
    // A copy: a listener's `gone` ends its stream, whose cleanup deletes it from the set.
    for (const listener of [...this.listeners]) listener.gone?.();
    this.listeners.clear();
  }
}
