import { randomUUID } from "node:crypto";
import { clone } from "@bufbuild/protobuf";
import { type SandboxSpec, SandboxSpecSchema } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerSummary } from "../../runtime/container-info.js";
import type { MountSpec } from "../../runtime/container-spec.js";
import { SandboxCredentials } from "../credentials/sandbox-credentials.js";
import type { SandboxTrustBundles } from "../network/sandbox-trust-bundles.js";
import { notFound } from "../protocol/gateway-errors.js";
import type { StoredSandbox } from "../state/state-store.js";
import { LiveSandbox, type StoredSandboxRecord } from "./live-sandbox.js";
import type { GatewayLogLevel, SandboxDirectory } from "./sandbox-directory.js";
import { SandboxKeeper, type SandboxKeeperOptions } from "./sandbox-keeper.js";
import { SandboxProvisioner } from "./sandbox-provisioning.js";
import { type Reconciliation, reconcile } from "./sandbox-reconciliation.js";
import { finishDelete, retireRemoved } from "./sandbox-removal.js";

export type { Reconciliation } from "./sandbox-reconciliation.js";

/** How a SandboxManager reaches the runtime and the store, and what it gives every container. */
export interface SandboxManagerOptions extends SandboxKeeperOptions {
  /** The network every sandbox joins. */
  network: string;
  defaultImage?: string;
  /** The egress proxy's variables (HTTP_PROXY and friends), set in every container. */
  egressEnv?: Readonly<Record<string, string>>;
  /** Mounts every container gets (the egress CA folder). */
  extraMounts?: readonly MountSpec[];
  /** This host's address on the sandbox network, as `host.openshell.internal` in /etc/hosts. */
  hostAliasAddress?: string;
  /** The per-image CA bundle folders, one mounted in every container (see SandboxEgress.trustBundles). */
  trustBundles?: SandboxTrustBundles;
  /** Seconds a stopping container gets before it is killed. */
  stopTimeoutSeconds?: number;
}

/** A sandbox to create, as the CreateSandbox handler validated it. */
export interface NewSandbox {
  name: string;
  workspace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: SandboxSpec;
  /** The workload template the spec came from, kept with the sandbox as its provenance. */
  createdFromWorkloadTemplate?: { name: string; resourceVersion: string };
  /**
   * Checked in the transaction that records the sandbox, just before the insert (a workspace still
   * accepting new things): what another process sharing the state directory could change between a
   * check made earlier and the insert. Throwing records nothing and provisions nothing.
   */
  precondition?: () => void;
}

/**
 * The sandboxes of a local gateway: their records in the state store, their containers in the
 * runtime, and the glue that keeps the two in step (a watch of the containers, a log pump per
 * running container). Every phase a client sees is derived from the container's state.
 *
 * This is the coordinator: the live sandboxes and their upkeep are SandboxKeeper's, bringing one up
 * is SandboxProvisioner's, a start's reconciliation and the end of a delete have modules of their own.
 */
export class SandboxManager implements SandboxDirectory {
  private readonly keeper: SandboxKeeper;
  private readonly provisioner: SandboxProvisioner;
  private readonly credentials: SandboxCredentials;

  constructor(private readonly options: SandboxManagerOptions) {
    this.keeper = new SandboxKeeper(options);
    this.credentials = new SandboxCredentials({
      store: this.keeper.store,
      log: (id, level, message) => this.keeper.gatewayLog(id, level, message),
    });
    this.provisioner = new SandboxProvisioner(
      this.keeper,
      {
        network: options.network,
        ...(options.defaultImage === undefined ? {} : { defaultImage: options.defaultImage }),
        ...(options.egressEnv === undefined ? {} : { egressEnv: options.egressEnv }),
        ...(options.extraMounts === undefined ? {} : { extraMounts: options.extraMounts }),
        ...(options.hostAliasAddress === undefined ? {} : { hostAliasAddress: options.hostAliasAddress }),
        ...(options.trustBundles === undefined ? {} : { trustBundles: options.trustBundles }),
      },
      (sandbox) => this.credentials.environment(sandbox),
    );
  }

  /**
   * What a new process of the sandbox gets for its attached providers' credentials: placeholders
   * (`KEY=openshell:resolve:env:v<revision>_KEY`) at the current revision, never a value.
   */
  providerEnvironment(sandbox: LiveSandbox): Record<string, string> {
    return this.credentials.environment(sandbox);
  }

  /** Aborted when the gateway closes; long-lived streams listen to it. */
  get shutdown(): AbortSignal {
    return this.keeper.shutdown;
  }

  /**
   * Loads the stored sandboxes and reads each one's container: running ones come back READY with
   * their ids, vanished ones become ERROR, interrupted deletes finish, half-provisioned ones carry
   * on; containers no sandbox owns are reported. Then watches the runtime.
   */
  start(): Promise<Reconciliation> {
    return reconcile(this.keeper, this.provisioner);
  }

  // Directory ------------------------------------------------------------------------------

  byId(id: string): LiveSandbox {
    const sandbox =
      this.current(this.keeper.get(id)) ??
      this.loadFromStore(this.keeper.store.getSandbox<StoredSandboxRecord>(id));
    if (!sandbox) throw notFound(`sandbox ${id} not found`);
    return sandbox;
  }

  byName(name: string, workspace: string): LiveSandbox {
    for (const sandbox of this.keeper.values()) {
      if (sandbox.name === name && sandbox.workspace === workspace && this.current(sandbox)) return sandbox;
    }
    const sandbox = this.loadFromStore(this.keeper.store.findSandbox<StoredSandboxRecord>(workspace, name));
    if (!sandbox) throw notFound(`sandbox "${name}" not found in workspace "${workspace}"`);
    return sandbox;
  }

  /**
   * The state directory may be shared with another process's gateway: the store, not this process's
   * copy, says whether a sandbox still exists. A sandbox the other process deleted is let go here.
   */
  private current(sandbox: LiveSandbox | undefined): LiveSandbox | undefined {
    if (sandbox === undefined) return undefined;
    const stored = this.keeper.store.getSandbox<StoredSandboxRecord>(sandbox.id);
    if (stored !== undefined && stored.deletedMs === null) return sandbox;
    this.keeper.forget(sandbox.id);
    sandbox.gone();
    return undefined;
  }

  /** A sandbox another process sharing the state directory created. */
  private loadFromStore(stored: StoredSandbox<StoredSandboxRecord> | undefined): LiveSandbox | undefined {
    if (stored === undefined || stored.deletedMs !== null) return undefined;
    const sandbox = this.keeper.adopt(stored);
    void this.refresh(sandbox).catch(() => undefined);
    return sandbox;
  }

  /** The sandbox if this gateway holds it live (no store lookup). */
  live(id: string): LiveSandbox | undefined {
    return this.keeper.get(id);
  }

  /** Live sandboxes as the store lists them, so those another process created are included. */
  all(workspace?: string): LiveSandbox[] {
    const listed = new Set<string>();
    const sandboxes: LiveSandbox[] = [];
    for (const stored of this.keeper.store.listSandboxes<StoredSandboxRecord>(workspace)) {
      const sandbox = this.keeper.get(stored.id) ?? this.loadFromStore(stored);
      if (sandbox) sandboxes.push(sandbox);
      listed.add(stored.id);
    }
    // Held here but gone from the store: deleted by another process.
    for (const sandbox of [...this.keeper.values()]) {
      if (!listed.has(sandbox.id) && (workspace === undefined || sandbox.workspace === workspace)) {
        this.current(sandbox);
      }
    }
    return sandboxes.sort((a, b) => a.createdMs - b.createdMs || a.name.localeCompare(b.name));
  }

  updateSpec(id: string, change: (spec: SandboxSpec) => void): LiveSandbox {
    const sandbox = this.byId(id);
    const spec = clone(SandboxSpecSchema, sandbox.spec);
    change(spec);
    sandbox.spec = spec;
    sandbox.bumpVersion();
    this.keeper.persist(sandbox);
    sandbox.announce();
    return sandbox;
  }

  gatewayLog(id: string, level: GatewayLogLevel, message: string): void {
    this.keeper.gatewayLog(id, level, message);
  }

  // Lifecycle ------------------------------------------------------------------------------

  /**
   * Records the sandbox and starts preparing it; returns at once with the sandbox PROVISIONING. The
   * container spec is built first, so a spec local mode cannot run is refused before anything exists.
   */
  create(input: NewSandbox): LiveSandbox {
    const id = randomUUID();
    this.provisioner.containerSpec(input.spec, { id, name: input.name, workspace: input.workspace });
    const record: StoredSandboxRecord = {
      labels: input.labels,
      annotations: input.annotations,
      spec: LiveSandbox.encodeSpec(input.spec),
      intent: "run",
      resourceVersion: "1",
      ...(input.createdFromWorkloadTemplate === undefined
        ? {}
        : { createdFromWorkloadTemplate: input.createdFromWorkloadTemplate }),
    };
    const createdMs = Date.now();
    const store = this.keeper.store;
    store.records.atomically(() => {
      input.precondition?.();
      store.insertSandbox({ id, workspace: input.workspace, name: input.name, createdMs, record });
    });
    const sandbox = this.keeper.adopt({
      id,
      workspace: input.workspace,
      name: input.name,
      createdMs,
      deletedMs: null,
      record,
    });
    this.gatewayLog(id, "INFO", `sandbox "${input.name}" accepted; provisioning`);
    this.provisioner.provision(sandbox);
    return sandbox;
  }

  async stop(sandbox: LiveSandbox): Promise<void> {
    const keeper = this.keeper;
    keeper.change(sandbox, (r) => ({ ...r, intent: "stop" }));
    await this.refresh(sandbox);
    const containerId = sandbox.record.containerId;
    if (!containerId) return;
    const controller = keeper.beginWork(sandbox);
    keeper.background(
      keeper.runtime
        .stopContainer(containerId, {
          timeoutSeconds: this.options.stopTimeoutSeconds ?? 10,
          signal: controller.signal,
        })
        .catch((error: unknown) => {
          if (!controller.signal.aborted)
            this.gatewayLog(sandbox.id, "ERROR", `stop failed: ${(error as Error).message}`);
        })
        .finally(() => {
          keeper.endWork(sandbox, controller);
          return this.refresh(sandbox).catch(() => undefined);
        }),
    );
  }

  /** Starts a STOPPED sandbox, or an ERROR one again (a new container when it never had one). */
  async startAgain(sandbox: LiveSandbox): Promise<void> {
    const keeper = this.keeper;
    const containerId = sandbox.record.containerId;
    keeper.change(sandbox, (r) => {
      const { failure: _failure, previousStartMs: _previous, ...rest } = r;
      const previousStartMs = sandbox.container?.startedAt?.getTime();
      return {
        ...rest,
        intent: "start",
        startRequestedMs: Date.now(),
        ...(previousStartMs === undefined ? {} : { previousStartMs }),
      };
    });
    if (containerId === undefined || sandbox.container === undefined) {
      keeper.change(sandbox, (r) => {
        const { containerId: _id, ...rest } = r;
        return { ...rest, intent: "run" };
      });
      if (containerId)
        await keeper.runtime.removeContainer(containerId, { force: true }).catch(() => undefined);
      await this.refresh(sandbox);
      this.provisioner.provision(sandbox);
      return;
    }
    await this.refresh(sandbox);
    const controller = keeper.beginWork(sandbox);
    keeper.background(
      keeper.runtime
        .startContainer(containerId, { signal: controller.signal })
        .then(() => keeper.followLogs(sandbox))
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          this.provisioner.fail(sandbox, error, {
            step: "start",
            image: sandbox.container?.image ?? "",
            command: sandbox.spec.command,
          });
        })
        .finally(() => {
          keeper.endWork(sandbox, controller);
          return this.refresh(sandbox).catch(() => undefined);
        }),
    );
  }

  /** Marks the sandbox DELETING at once; the container is removed and the record retired after. */
  async delete(sandbox: LiveSandbox): Promise<void> {
    if (sandbox.record.intent === "delete") return;
    this.keeper.abortWork(sandbox, new Error("the sandbox is being deleted"));
    this.keeper.change(sandbox, (r) => ({ ...r, intent: "delete" }));
    await this.refresh(sandbox);
    this.keeper.background(finishDelete(this.keeper, this.provisioner, sandbox));
  }

  /** Re-reads the container; a changed phase gets a new resource version, a log line and an event. */
  refresh(sandbox: LiveSandbox): Promise<void> {
    return this.keeper.refresh(sandbox);
  }

  /**
   * After the gateway removed its containers (close with `removeSandboxes`, or an ephemeral gateway):
   * every stored sandbox whose container is gone is deleted from the records, as a delete would, so a
   * later start neither reports it missing nor keeps its name taken. `left` are the containers the
   * runtime still holds; their sandboxes stay. Call after close().
   */
  retireAll(left: readonly ContainerSummary[]): void {
    retireRemoved(this.keeper, left);
  }

  /** Stops watching and pumping; sandboxes keep running in the runtime. */
  close(): Promise<void> {
    return this.keeper.close();
  }
}
