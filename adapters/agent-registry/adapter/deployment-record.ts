import type { Condition } from "../resources/condition.js";
import type { DeploymentStatus } from "./deployment-adapter.js";

/** One subscriber's queue of statuses, and how to wake it. */
interface Subscriber {
  queue: DeploymentStatus[];
  wake: (() => void) | undefined;
}

/**
 * What the adapter knows of one deployment while this process runs: the status it reports, the
 * deploy in flight (cancelled by remove or by a changed spec) and the watchers to tell. It is a
 * cache: everything it needs after a restart is in the sandbox's labels.
 */
export class DeploymentRecord {
  private current: DeploymentStatus;
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;
  /** Cancels the deploy in flight and the watch that follows it. */
  readonly controller = new AbortController();
  /** Settles when the background work has stopped (never rejects). */
  settled: Promise<void> = Promise.resolve();

  constructor(
    /** The fingerprint of the apply input this record converges to. */
    readonly fingerprint: string,
    /** The sandbox's name. */
    readonly sandboxName: string,
    /** What `apply` reports as `details`. */
    readonly details: Record<string, unknown>,
    conditions: Condition[],
    runtimeMetadata: Record<string, string>,
  ) {
    this.current = { conditions, runtimeMetadata };
  }

  /** The status now (a copy). */
  get status(): DeploymentStatus {
    return copy(this.current);
  }

  /** True once the record was ended by remove or replacement. */
  get ended(): boolean {
    return this.closed;
  }

  /** Changes the conditions (and metadata), and tells every watcher when anything changed. */
  update(change: (conditions: Condition[]) => Condition[], metadata?: Record<string, string>): void {
    if (this.closed) return;
    const next: DeploymentStatus = {
      conditions: change(this.current.conditions),
      runtimeMetadata: metadata
        ? { ...this.current.runtimeMetadata, ...metadata }
        : this.current.runtimeMetadata,
    };
    if (sameStatus(next, this.current)) return;
    this.current = next;
    for (const subscriber of this.subscribers) {
      subscriber.queue.push(copy(next));
      subscriber.wake?.();
    }
  }

  /** Ends the record: a last status is sent to every watcher, whose iteration then ends. */
  end(change?: (conditions: Condition[]) => Condition[]): void {
    if (change) this.update(change);
    this.closed = true;
    this.controller.abort();
    for (const subscriber of this.subscribers) subscriber.wake?.();
  }

  /** The status now, then every change, until the record ends or `signal` fires. */
  async *watch(signal?: AbortSignal): AsyncGenerator<DeploymentStatus, void, undefined> {
    const subscriber: Subscriber = { queue: [copy(this.current)], wake: undefined };
    this.subscribers.add(subscriber);
    const onAbort = () => subscriber.wake?.();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (signal?.aborted) return;
        const next = subscriber.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => {
          subscriber.wake = resolve;
        });
        subscriber.wake = undefined;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.subscribers.delete(subscriber);
    }
  }
}

function copy(status: DeploymentStatus): DeploymentStatus {
  return {
    conditions: status.conditions.map((c) => ({ ...c })),
    runtimeMetadata: { ...status.runtimeMetadata },
  };
}

function sameStatus(a: DeploymentStatus, b: DeploymentStatus): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
