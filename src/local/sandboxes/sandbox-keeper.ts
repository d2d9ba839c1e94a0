import { setMaxListeners } from "node:events";
import { NotFoundError } from "../../errors.js";
import { SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { LocalStateStore, StoredSandbox } from "../state/state-store.js";
import { LiveSandbox, logLine, type StoredSandboxRecord } from "./live-sandbox.js";
import type { GatewayLogLevel } from "./sandbox-directory.js";
import { pumpContainerLogs } from "./sandbox-log-pump.js";

/** What every part of the sandbox manager needs: where sandboxes live and how they are told apart. */
export interface SandboxKeeperOptions {
  runtime: ContainerRuntime;
  store: LocalStateStore;
  /** The active policy version of a sandbox (from the policy revisions the policy handlers keep). */
  policyVersion: (sandboxId: string) => number;
  /** Labels that mark this gateway's containers (and nothing else's) in the runtime. */
  gatewayLabels: Readonly<Record<string, string>>;
  /** A sandbox was retired (deleted, or removed with the gateway): what others keep for it may go. */
  onSandboxGone?: (sandboxId: string) => void;
}

/**
 * What the parts of the sandbox manager share: the sandboxes held live, their records in the state
 * store, and keeping each one's phase in step with its container (a re-read, a log pump while it
 * runs). It also owns the background work that changes them, so close() can stop and wait for it.
 */
export class SandboxKeeper {
  readonly runtime: ContainerRuntime;
  readonly store: LocalStateStore;
  readonly gatewayLabels: Readonly<Record<string, string>>;
  private readonly sandboxes = new Map<string, LiveSandbox>();
  /** The lifecycle call in flight per sandbox: a newer one (or a delete) aborts it. */
  private readonly work = new Map<string, AbortController>();
  private readonly pumps = new Map<string, Promise<void>>();
  private readonly closing = new AbortController();
  /** Background work (provisioning, stops, deletes): close() waits for it before the store closes. */
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(private readonly options: SandboxKeeperOptions) {
    this.runtime = options.runtime;
    this.store = options.store;
    this.gatewayLabels = options.gatewayLabels;
    // Every open watch, exec and forward stream and every log pump listens for the gateway closing:
    // dozens at once is normal, and each removes its listener when it ends.
    setMaxListeners(0, this.closing.signal);
  }

  /** Aborted when the gateway closes; long-lived streams listen to it. */
  get shutdown(): AbortSignal {
    return this.closing.signal;
  }

  // The live sandboxes ---------------------------------------------------------------------

  get(id: string): LiveSandbox | undefined {
    return this.sandboxes.get(id);
  }

  has(id: string): boolean {
    return this.sandboxes.has(id);
  }

  values(): IterableIterator<LiveSandbox> {
    return this.sandboxes.values();
  }

  /** The live sandbox of a stored one, made on first sight. */
  adopt(stored: StoredSandbox<StoredSandboxRecord>): LiveSandbox {
    const existing = this.sandboxes.get(stored.id);
    if (existing) return existing;
    const sandbox = new LiveSandbox(
      stored.id,
      stored.name,
      stored.workspace,
      stored.createdMs,
      stored.record,
      this.options.policyVersion,
    );
    this.sandboxes.set(sandbox.id, sandbox);
    return sandbox;
  }

  /** No longer held live (its record is retired); telling its watchers is the caller's. */
  forget(id: string): void {
    this.sandboxes.delete(id);
    try {
      this.options.onSandboxGone?.(id);
    } catch {
      // Only caches are dropped there; a failure must not undo the sandbox's retirement.
    }
  }

  // Records and logs -----------------------------------------------------------------------

  /** A log line with source `gateway`: kept in the state store, seen by the sandbox's watchers. */
  gatewayLog(id: string, level: GatewayLogLevel, message: string): void {
    const sandbox = this.sandboxes.get(id);
    const timestampMs = Date.now();
    this.store.appendLogs(id, [
      { timestampMs, level, source: "gateway", target: "openshell_local", message },
    ]);
    sandbox?.emitLog(logLine(id, "gateway", level, "openshell_local", message, timestampMs));
  }

  /** Changes the record and writes it to the store. */
  change(sandbox: LiveSandbox, update: (record: StoredSandboxRecord) => StoredSandboxRecord): void {
    sandbox.record = update(sandbox.record);
    this.persist(sandbox);
  }

  persist(sandbox: LiveSandbox): void {
    const record = sandbox.record;
    this.store.updateSandbox<StoredSandboxRecord>(sandbox.id, () => record);
  }

  // Keeping phase and container in step -----------------------------------------------------

  /** Re-reads the container; a changed phase gets a new resource version, a log line and an event. */
  async refresh(sandbox: LiveSandbox): Promise<void> {
    const containerId = sandbox.record.containerId;
    // An engine that cannot be asked tells nothing of the container; a failure the record holds
    // (one just recorded, say) still decides the phase, and the caller still hears why.
    let unreachable: { error: unknown } | undefined;
    if (containerId) {
      try {
        sandbox.container = await this.runtime.inspectContainer(containerId);
      } catch (error) {
        if (error instanceof NotFoundError) sandbox.container = undefined;
        else unreachable = { error };
      }
    }
    if (unreachable === undefined || sandbox.record.failure !== undefined) this.announceIfChanged(sandbox);
    if (unreachable !== undefined) throw unreachable.error;
  }

  /** Derives the sandbox's phase again and, when it changed, stores, logs and announces it. */
  private announceIfChanged(sandbox: LiveSandbox): void {
    if (!sandbox.rederive()) return;
    sandbox.bumpVersion();
    this.persist(sandbox);
    const status = sandbox.status;
    const phase = SandboxPhase[status.phase];
    this.gatewayLog(
      sandbox.id,
      status.phase === SandboxPhase.ERROR ? "ERROR" : "INFO",
      `sandbox ${phase}: ${status.message}`,
    );
    sandbox.addEvent(
      status.phase === SandboxPhase.ERROR ? "Warning" : "Normal",
      status.reason,
      status.message,
    );
    sandbox.announce();
    if (status.phase === SandboxPhase.READY) this.followLogs(sandbox);
  }

  /**
   * One log pump per sandbox while its container runs; it resumes after the last stored line. A
   * container started again while the previous run's pump was still draining (a quick job started
   * again, a quick stop and start) gets a pump once that one ends, or the new run's lines were lost.
   */
  followLogs(sandbox: LiveSandbox): void {
    const containerId = sandbox.record.containerId;
    if (!containerId || this.pumps.has(sandbox.id) || this.closing.signal.aborted) return;
    const runStartedMs = sandbox.container?.startedAt?.getTime();
    const pump = pumpContainerLogs(this.runtime, this.store, sandbox, containerId, this.closing.signal)
      .catch(() => undefined)
      .finally(() => {
        this.pumps.delete(sandbox.id);
        if (this.closing.signal.aborted || !this.sandboxes.has(sandbox.id)) return;
        void this.refresh(sandbox)
          .then(() => {
            const startedMs = sandbox.container?.startedAt?.getTime();
            if (startedMs !== undefined && startedMs !== runStartedMs) this.followLogs(sandbox);
          })
          .catch(() => undefined);
      });
    this.pumps.set(sandbox.id, pump);
  }

  // Background work ------------------------------------------------------------------------

  /** A lifecycle call on the sandbox begins: the one before it is aborted, as is this one on close. */
  private readonly workListeners = new WeakMap<AbortController, () => void>();

  beginWork(sandbox: LiveSandbox): AbortController {
    const controller = new AbortController();
    this.work.get(sandbox.id)?.abort(new Error("superseded by a newer lifecycle call"));
    this.work.set(sandbox.id, controller);
    const onClose = () => controller.abort(this.closing.signal.reason);
    this.closing.signal.addEventListener("abort", onClose, { once: true });
    // Released when the work ends, or every lifecycle call would leave a listener on the gateway.
    this.workListeners.set(controller, onClose);
    return controller;
  }

  endWork(sandbox: LiveSandbox, controller: AbortController): void {
    if (this.work.get(sandbox.id) === controller) this.work.delete(sandbox.id);
    const onClose = this.workListeners.get(controller);
    if (onClose) this.closing.signal.removeEventListener("abort", onClose);
    this.workListeners.delete(controller);
  }

  /** Aborts the lifecycle call in flight on the sandbox, if any. */
  abortWork(sandbox: LiveSandbox, reason: Error): void {
    this.work.get(sandbox.id)?.abort(reason);
  }

  /** Runs `work` in the background, tracked so close() can wait for it. */
  background(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }

  /** Aborts every lifecycle call and log pump, and waits until all background work has ended. */
  async close(): Promise<void> {
    this.closing.abort(new Error("the local gateway is closing"));
    while (this.tasks.size > 0 || this.pumps.size > 0) {
      await Promise.allSettled([...this.tasks, ...this.pumps.values()]);
    }
  }
}
