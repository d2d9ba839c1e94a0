import { randomUUID } from "node:crypto";
import { clone } from "@bufbuild/protobuf";
import { NotFoundError } from "../../errors.js";
import { SandboxPhase, type SandboxSpec, SandboxSpecSchema } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerSummary } from "../../runtime/container-info.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import { notFound } from "../protocol/gateway-errors.js";
import type { LocalStateStore, StoredSandbox } from "../state/state-store.js";
import { LiveSandbox, logLine, type StoredSandboxRecord } from "./live-sandbox.js";
import { type ProvisionStep, provisionFailure } from "./provision-failure.js";
import { SANDBOX_ID_LABEL } from "./sandbox-container.js";
import { sandboxContainerSpec } from "./sandbox-container-spec.js";
import type { GatewayLogLevel, SandboxDirectory } from "./sandbox-directory.js";
import { pumpContainerLogs } from "./sandbox-log-pump.js";

export interface SandboxManagerOptions {
  runtime: ContainerRuntime;
  store: LocalStateStore;
  /** The network every sandbox joins. */
  network: string;
  defaultImage?: string;
  /** The active policy version of a sandbox (from the policy revisions the policy handlers keep). */
  policyVersion: (sandboxId: string) => number;
  /** Labels that mark this gateway's containers (and nothing else's) in the runtime. */
  gatewayLabels: Readonly<Record<string, string>>;
  /** Seconds a stopping container gets before it is killed. */
  stopTimeoutSeconds?: number;
}

export interface NewSandbox {
  name: string;
  workspace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: SandboxSpec;
}

/** What a start found in the runtime against what the state store remembered. */
export interface Reconciliation {
  /** Sandboxes whose container is running again under the same id. */
  running: string[];
  /** Sandboxes whose container is gone: they are now ERROR (`ContainerMissing`). */
  missing: string[];
  /** Containers of this gateway that no stored sandbox owns (left running; remove them yourself). */
  orphans: { containerId: string; name: string }[];
}

/**
 * The sandboxes of a local gateway: their records in the state store, their containers in the
 * runtime, and the glue that keeps the two in step (a watch of the containers, a log pump per
 * running container). Every phase a client sees is derived from the container's state.
 */
export class SandboxManager implements SandboxDirectory {
  private readonly byIdLive = new Map<string, LiveSandbox>();
  private readonly work = new Map<string, AbortController>();
  private readonly pumps = new Map<string, Promise<void>>();
  private readonly provisioning = new Map<string, Promise<void>>();
  private readonly closing = new AbortController();
  /** Background work (provisioning, stops, deletes): close() waits for it before the store closes. */
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly runtime: ContainerRuntime;
  private readonly store: LocalStateStore;

  constructor(private readonly options: SandboxManagerOptions) {
    this.runtime = options.runtime;
    this.store = options.store;
  }

  /** Aborted when the gateway closes; long-lived streams listen to it. */
  get shutdown(): AbortSignal {
    return this.closing.signal;
  }

  // Start and reconcile ------------------------------------------------------------------

  /**
   * Loads the stored sandboxes and reads each one's container: running ones come back READY with
   * their ids, vanished ones become ERROR, interrupted deletes finish. Then watches the runtime.
   */
  async start(): Promise<Reconciliation> {
    const result: Reconciliation = { running: [], missing: [], orphans: [] };
    const containers = await this.runtime.listContainers({ labels: this.options.gatewayLabels });
    const owned = new Set<string>();
    for (const stored of this.store.listSandboxes<StoredSandboxRecord>()) {
      const sandbox = this.adopt(stored);
      if (sandbox.record.containerId === undefined && sandbox.record.intent !== "delete") {
        // The engine made the container but the gateway died before recording it: it is this one's.
        const made = containers.find((c) => c.labels[SANDBOX_ID_LABEL] === sandbox.id);
        if (made) this.change(sandbox, (r) => ({ ...r, containerId: made.id }));
      }
      if (sandbox.record.containerId) owned.add(sandbox.record.containerId);
      if (sandbox.record.intent === "delete") {
        this.background(this.finishDelete(sandbox));
        continue;
      }
      if (sandbox.record.containerId === undefined) {
        // The gateway stopped while preparing it: carry on where it was.
        if (!sandbox.record.failure) this.provision(sandbox);
        continue;
      }
      await this.refresh(sandbox);
      const container = sandbox.container;
      if (container === undefined) {
        result.missing.push(sandbox.name);
      } else if (container.running) {
        result.running.push(sandbox.name);
        // Still READY is no transition, so refresh() starts no pump: pick its output up here.
        this.followLogs(sandbox);
      } else if (
        container.state === "created" &&
        sandbox.record.intent === "run" &&
        !sandbox.record.failure
      ) {
        // The gateway stopped between creating the container and starting it: start it now.
        this.provision(sandbox);
      }
    }
    // Every container carrying this gateway's labels is a sandbox's; one that no record owns (a lost
    // record, a container made by hand with the labels) is reported, never adopted or removed.
    for (const container of containers) {
      const sandboxId = container.labels[SANDBOX_ID_LABEL];
      if (owned.has(container.id) || (sandboxId !== undefined && this.byIdLive.has(sandboxId))) continue;
      result.orphans.push({ containerId: container.id, name: container.name });
    }
    this.background(this.watchRuntime());
    return result;
  }

  private adopt(stored: StoredSandbox<StoredSandboxRecord>): LiveSandbox {
    const existing = this.byIdLive.get(stored.id);
    if (existing) return existing;
    const sandbox = new LiveSandbox(
      stored.id,
      stored.name,
      stored.workspace,
      stored.createdMs,
      stored.record,
      this.options.policyVersion,
    );
    this.byIdLive.set(sandbox.id, sandbox);
    return sandbox;
  }

  /** Container events re-read the sandbox they belong to; a broken watch is re-opened. */
  private async watchRuntime(): Promise<void> {
    const signal = this.closing.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        for await (const event of this.runtime.watchContainers({
          labels: this.options.gatewayLabels,
          signal,
        })) {
          attempt = 0;
          const sandbox = this.byIdLive.get(event.labels[SANDBOX_ID_LABEL] ?? "");
          if (sandbox) void this.refresh(sandbox).catch(() => undefined);
        }
      } catch {
        // The engine went away or restarted: re-read everything once it answers again.
      }
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)).unref());
      for (const sandbox of this.byIdLive.values()) void this.refresh(sandbox).catch(() => undefined);
    }
  }

  // Directory ------------------------------------------------------------------------------

  byId(id: string): LiveSandbox {
    const sandbox =
      this.byIdLive.get(id) ?? this.loadFromStore(this.store.getSandbox<StoredSandboxRecord>(id));
    if (!sandbox) throw notFound(`sandbox ${id} not found`);
    return sandbox;
  }

  byName(name: string, workspace: string): LiveSandbox {
    for (const sandbox of this.byIdLive.values()) {
      if (sandbox.name === name && sandbox.workspace === workspace) return sandbox;
    }
    const sandbox = this.loadFromStore(this.store.findSandbox<StoredSandboxRecord>(workspace, name));
    if (!sandbox) throw notFound(`sandbox "${name}" not found in workspace "${workspace}"`);
    return sandbox;
  }

  /** A sandbox another process sharing the state directory created. */
  private loadFromStore(stored: StoredSandbox<StoredSandboxRecord> | undefined): LiveSandbox | undefined {
    if (stored === undefined || stored.deletedMs !== null) return undefined;
    const sandbox = this.adopt(stored);
    void this.refresh(sandbox).catch(() => undefined);
    return sandbox;
  }

  /** The sandbox if this gateway holds it live (no store lookup). */
  live(id: string): LiveSandbox | undefined {
    return this.byIdLive.get(id);
  }

  all(workspace?: string): LiveSandbox[] {
    return [...this.byIdLive.values()]
      .filter((s) => workspace === undefined || s.workspace === workspace)
      .sort((a, b) => a.createdMs - b.createdMs || a.name.localeCompare(b.name));
  }

  updateSpec(id: string, change: (spec: SandboxSpec) => void): LiveSandbox {
    const sandbox = this.byId(id);
    const spec = clone(SandboxSpecSchema, sandbox.spec);
    change(spec);
    sandbox.spec = spec;
    sandbox.bumpVersion();
    this.persist(sandbox);
    sandbox.announce();
    return sandbox;
  }

  gatewayLog(id: string, level: GatewayLogLevel, message: string): void {
    const sandbox = this.byIdLive.get(id);
    const timestampMs = Date.now();
    this.store.appendLogs(id, [
      { timestampMs, level, source: "gateway", target: "openshell_local", message },
    ]);
    sandbox?.emitLog(logLine(id, "gateway", level, "openshell_local", message, timestampMs));
  }

  // Lifecycle ------------------------------------------------------------------------------

  /**
   * Records the sandbox and starts preparing it; returns at once with the sandbox PROVISIONING. The
   * container spec is built first, so a spec local mode cannot run is refused before anything exists.
   */
  create(input: NewSandbox): LiveSandbox {
    const id = randomUUID();
    sandboxContainerSpec(
      input.spec,
      { id, name: input.name, workspace: input.workspace },
      this.containerOptions(),
    );
    const record: StoredSandboxRecord = {
      labels: input.labels,
      annotations: input.annotations,
      spec: LiveSandbox.encodeSpec(input.spec),
      intent: "run",
      resourceVersion: "1",
    };
    const createdMs = Date.now();
    this.store.insertSandbox({ id, workspace: input.workspace, name: input.name, createdMs, record });
    const sandbox = this.adopt({
      id,
      workspace: input.workspace,
      name: input.name,
      createdMs,
      deletedMs: null,
      record,
    });
    this.gatewayLog(id, "INFO", `sandbox "${input.name}" accepted; provisioning`);
    this.provision(sandbox);
    return sandbox;
  }

  private containerOptions() {
    return {
      network: this.options.network,
      ...(this.options.defaultImage === undefined ? {} : { defaultImage: this.options.defaultImage }),
    };
  }

  /**
   * Image, container, start: in the background, each step checked against a delete or close racing
   * it. A sandbox whose container exists already (the gateway stopped before starting it) only starts.
   */
  private provision(sandbox: LiveSandbox): void {
    const controller = this.beginWork(sandbox);
    const signal = controller.signal;
    const run = (async () => {
      const spec = sandboxContainerSpec(sandbox.spec, sandbox, this.containerOptions());
      const labels = { ...spec.labels, ...this.options.gatewayLabels };
      let step: ProvisionStep = "image";
      try {
        let containerId = sandbox.record.containerId;
        if (containerId === undefined) {
          if (!(await this.runtime.hasImage(spec.image, { signal }))) {
            this.gatewayLog(sandbox.id, "INFO", `pulling image ${spec.image}`);
            await this.runtime.pullImage(spec.image, { signal });
          }
          signal.throwIfAborted();
          step = "create";
          // Not aborted midway: an engine may still make a container after its client gave up on the
          // request, and such a container would be recorded nowhere. Once it is recorded, a delete
          // or a close with removeSandboxes finds it.
          containerId = (await this.runtime.createContainer({ ...spec, labels })).id;
          const created = containerId;
          this.change(sandbox, (r) => ({ ...r, containerId: created }));
          signal.throwIfAborted();
        }
        step = "start";
        await this.runtime.startContainer(containerId);
        this.gatewayLog(
          sandbox.id,
          "INFO",
          `container ${containerId.slice(0, 12)} started from ${spec.image}`,
        );
        this.followLogs(sandbox);
        await this.refresh(sandbox);
      } catch (error) {
        if (signal.aborted) return;
        const failure = provisionFailure(error, { step, image: spec.image, command: sandbox.spec.command });
        this.gatewayLog(sandbox.id, "ERROR", failure.message);
        this.change(sandbox, (r) => ({ ...r, failure }));
        await this.refresh(sandbox).catch(() => undefined);
      } finally {
        this.endWork(sandbox, controller);
      }
    })();
    const tracked = run.finally(() => {
      if (this.provisioning.get(sandbox.id) === tracked) this.provisioning.delete(sandbox.id);
    });
    this.provisioning.set(sandbox.id, tracked);
    this.background(tracked);
  }

  async stop(sandbox: LiveSandbox): Promise<void> {
    this.change(sandbox, (r) => ({ ...r, intent: "stop" }));
    await this.refresh(sandbox);
    const containerId = sandbox.record.containerId;
    if (!containerId) return;
    const controller = this.beginWork(sandbox);
    this.background(
      this.runtime
        .stopContainer(containerId, {
          timeoutSeconds: this.options.stopTimeoutSeconds ?? 10,
          signal: controller.signal,
        })
        .catch((error: unknown) => {
          if (!controller.signal.aborted)
            this.gatewayLog(sandbox.id, "ERROR", `stop failed: ${(error as Error).message}`);
        })
        .finally(() => {
          this.endWork(sandbox, controller);
          return this.refresh(sandbox).catch(() => undefined);
        }),
    );
  }

  /** Starts a STOPPED sandbox, or an ERROR one again (a new container when it never had one). */
  async startAgain(sandbox: LiveSandbox): Promise<void> {
    const containerId = sandbox.record.containerId;
    this.change(sandbox, (r) => {
      const { failure: _failure, ...rest } = r;
      return { ...rest, intent: "start", startRequestedMs: Date.now() };
    });
    if (containerId === undefined || sandbox.container === undefined) {
      this.change(sandbox, (r) => {
        const { containerId: _id, ...rest } = r;
        return { ...rest, intent: "run" };
      });
      if (containerId)
        await this.runtime.removeContainer(containerId, { force: true }).catch(() => undefined);
      await this.refresh(sandbox);
      this.provision(sandbox);
      return;
    }
    await this.refresh(sandbox);
    const controller = this.beginWork(sandbox);
    this.background(
      this.runtime
        .startContainer(containerId, { signal: controller.signal })
        .then(() => this.followLogs(sandbox))
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          const failure = provisionFailure(error, {
            step: "start",
            image: sandbox.container?.image ?? "",
            command: sandbox.spec.command,
          });
          this.gatewayLog(sandbox.id, "ERROR", failure.message);
          this.change(sandbox, (r) => ({ ...r, failure }));
        })
        .finally(() => {
          this.endWork(sandbox, controller);
          return this.refresh(sandbox).catch(() => undefined);
        }),
    );
  }

  /** Marks the sandbox DELETING at once; the container is removed and the record retired after. */
  async delete(sandbox: LiveSandbox): Promise<void> {
    if (sandbox.record.intent === "delete") return;
    this.work.get(sandbox.id)?.abort(new Error("the sandbox is being deleted"));
    this.change(sandbox, (r) => ({ ...r, intent: "delete" }));
    await this.refresh(sandbox);
    this.background(this.finishDelete(sandbox));
  }

  private async finishDelete(sandbox: LiveSandbox): Promise<void> {
    // A provisioning step still in flight may create the container after this reads the id, and an
    // aborted create may still have made one: remove every container carrying the sandbox's id.
    await this.provisioning.get(sandbox.id);
    for (let attempt = 0; ; attempt++) {
      try {
        const ids = new Set<string>(sandbox.record.containerId ? [sandbox.record.containerId] : []);
        const labelled = await this.runtime.listContainers({ labels: { [SANDBOX_ID_LABEL]: sandbox.id } });
        for (const container of labelled) ids.add(container.id);
        for (const id of ids) {
          await this.runtime.removeContainer(id, { force: true }).catch((error: unknown) => {
            if (!(error instanceof NotFoundError)) throw error;
          });
        }
        break;
      } catch (error) {
        if (error instanceof NotFoundError) break;
        if (attempt >= 5 || this.closing.signal.aborted) {
          this.gatewayLog(sandbox.id, "ERROR", `removing the container failed: ${(error as Error).message}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
    this.gatewayLog(sandbox.id, "INFO", `sandbox "${sandbox.name}" deleted`);
    this.store.markSandboxDeleted(sandbox.id, Date.now());
    this.byIdLive.delete(sandbox.id);
    sandbox.gone();
  }

  // Keeping phase and container in step ---------------------------------------------------------

  /** Re-reads the container; a changed phase gets a new resource version, a log line and an event. */
  async refresh(sandbox: LiveSandbox): Promise<void> {
    const containerId = sandbox.record.containerId;
    if (containerId) {
      try {
        sandbox.container = await this.runtime.inspectContainer(containerId);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        sandbox.container = undefined;
      }
    }
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

  /** One log pump per sandbox while its container runs; it resumes after the last stored line. */
  private followLogs(sandbox: LiveSandbox): void {
    const containerId = sandbox.record.containerId;
    if (!containerId || this.pumps.has(sandbox.id) || this.closing.signal.aborted) return;
    const pump = pumpContainerLogs(this.runtime, this.store, sandbox, containerId, this.closing.signal)
      .catch(() => undefined)
      .finally(() => {
        this.pumps.delete(sandbox.id);
        if (!this.closing.signal.aborted && this.byIdLive.has(sandbox.id))
          void this.refresh(sandbox).catch(() => undefined);
      });
    this.pumps.set(sandbox.id, pump);
  }

  private change(sandbox: LiveSandbox, update: (record: StoredSandboxRecord) => StoredSandboxRecord): void {
    sandbox.record = update(sandbox.record);
    this.persist(sandbox);
  }

  private persist(sandbox: LiveSandbox): void {
    const record = sandbox.record;
    this.store.updateSandbox<StoredSandboxRecord>(sandbox.id, () => record);
  }

  private beginWork(sandbox: LiveSandbox): AbortController {
    const controller = new AbortController();
    this.work.get(sandbox.id)?.abort(new Error("superseded by a newer lifecycle call"));
    this.work.set(sandbox.id, controller);
    const onClose = () => controller.abort(this.closing.signal.reason);
    this.closing.signal.addEventListener("abort", onClose, { once: true });
    return controller;
  }

  private endWork(sandbox: LiveSandbox, controller: AbortController): void {
    if (this.work.get(sandbox.id) === controller) this.work.delete(sandbox.id);
  }

  /** Runs `work` in the background, tracked so close() can wait for it. */
  private background(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }

  /**
   * After the gateway removed its containers (close with `removeSandboxes`, or an ephemeral gateway):
   * every stored sandbox whose container is gone is deleted from the records, as a delete would, so a
   * later start neither reports it missing nor keeps its name taken. `left` are the containers the
   * runtime still holds; their sandboxes stay. Call after close().
   */
  retireAll(left: readonly ContainerSummary[]): void {
    const remaining = new Set(left.flatMap((c) => [c.id, c.labels[SANDBOX_ID_LABEL] ?? ""]));
    for (const stored of this.store.listSandboxes<StoredSandboxRecord>()) {
      const containerId = stored.record.containerId;
      if (remaining.has(stored.id) || (containerId !== undefined && remaining.has(containerId))) continue;
      this.gatewayLog(stored.id, "INFO", `sandbox "${stored.name}" removed with the gateway`);
      this.store.markSandboxDeleted(stored.id, Date.now());
      this.byIdLive.get(stored.id)?.gone();
      this.byIdLive.delete(stored.id);
    }
  }

  /** Stops watching and pumping; sandboxes keep running in the runtime. */
  async close(): Promise<void> {
    this.closing.abort(new Error("the local gateway is closing"));
    while (this.tasks.size > 0 || this.pumps.size > 0) {
      await Promise.allSettled([...this.tasks, ...this.pumps.values()]);
    }
  }
}
