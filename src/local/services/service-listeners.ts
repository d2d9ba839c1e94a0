import { Code, ConnectError } from "@connectrpc/connect";
import { SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";
import type { ForwardBackend } from "../handlers/forward-handlers.js";
import type { RecordStore, StoredRecord } from "../state/record-store.js";
import type { SandboxListener, WatchableSandbox } from "../streams/watchable-sandbox.js";
import { openServiceProxy, type ServiceProxy, type ServiceTarget } from "./service-proxy.js";
import { SERVICE_KIND, type ServiceRecord } from "./service-records.js";

/** The sandboxes as the service listeners need them: looked up by id, NOT_FOUND once deleted. */
export interface ServiceSandboxes {
  byId(id: string): WatchableSandbox & { phase: SandboxPhase; name: string };
}

/** Which endpoint a listener serves: its record's scope (workspace) and name. */
interface EndpointKey {
  workspace: string;
  name: string;
}

const keyOf = (k: EndpointKey) => `${k.workspace}\u0000${k.name}`;

/**
 * The loopback listeners of a local gateway's service endpoints, one per endpoint, kept in step
 * with the records: opened when an endpoint is exposed (or at start, for stored endpoints of live
 * sandboxes), closed when it is deleted, when its sandbox is deleted, and when the gateway closes.
 * Each request reads the endpoint's record, so a re-expose to another port takes effect at once.
 */
export class ServiceListeners {
  private readonly proxies = new Map<string, Promise<ServiceProxy>>();
  /** One `gone` subscription per sandbox with endpoints, removed again at close. */
  private readonly watched = new Map<string, { sandbox: WatchableSandbox; listener: SandboxListener }>();
  private closed = false;

  constructor(
    private readonly records: RecordStore,
    private readonly sandboxes: ServiceSandboxes,
    private readonly backend: Pick<ForwardBackend, "address">,
  ) {}

  /** Whether the sandbox still exists (its endpoints die with it). */
  alive(sandboxId: string): boolean {
    try {
      this.sandboxes.byId(sandboxId);
      return true;
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) return false;
      throw error;
    }
  }

  /**
   * The listener of an endpoint, opened on `port` (its stored port: reused when free, else any
   * free one) unless it is open already; watches its sandbox so the endpoint dies with it.
   * Resolves with the port it listens on.
   */
  async open(key: EndpointKey, sandboxId: string, port: number): Promise<number> {
    if (this.closed) throw new ConnectError("the local gateway is closing", Code.Unavailable);
    const k = keyOf(key);
    let proxy = this.proxies.get(k);
    if (proxy === undefined) {
      proxy = openServiceProxy(port, () => this.target(key));
      this.proxies.set(k, proxy);
      proxy.catch(() => this.proxies.get(k) === proxy && this.proxies.delete(k));
    }
    const { port: bound } = await proxy;
    try {
      this.watch(sandboxId);
    } catch (error) {
      // The sandbox went while the listener opened: no endpoint, so no listener either.
      await this.close(key);
      throw error;
    }
    return bound;
  }

  /** Closes an endpoint's listener (its record is the caller's). */
  async close(key: EndpointKey): Promise<void> {
    const k = keyOf(key);
    const proxy = this.proxies.get(k);
    this.proxies.delete(k);
    await proxy?.then((p) => p.close()).catch(() => undefined);
  }

  /**
   * At gateway start: reopens the listener of every stored endpoint whose sandbox lives (on its
   * old port when free; the record learns a new one otherwise) and forgets the endpoints of
   * sandboxes deleted meanwhile.
   */
  async restore(): Promise<void> {
    for (const stored of this.records.list<ServiceRecord>(SERVICE_KIND)) {
      const { record } = stored;
      if (!this.alive(record.sandboxId)) {
        this.records.delete(SERVICE_KIND, stored.scope, stored.name);
        continue;
      }
      try {
        const key = { workspace: stored.scope, name: stored.name };
        const port = await this.open(key, record.sandboxId, record.listenPort);
        if (port !== record.listenPort) {
          this.records.put(SERVICE_KIND, stored.scope, stored.name, { ...record, listenPort: port });
        }
      } catch (error) {
        // One endpoint that cannot listen must not keep the gateway from starting; exposing it
        // again retries.
        process.emitWarning(
          `openshell: the service endpoint ${stored.name} of workspace "${stored.scope}" could not listen ` +
            `again (${(error as Error).message}); expose it again with os.services.expose()`,
          { code: "OPENSHELL_SERVICE_NOT_RESTORED" },
        );
      }
    }
  }

  /** Closes every listener and stops watching sandboxes; endpoint records stay for the next start. */
  async closeAll(): Promise<void> {
    this.closed = true;
    for (const { sandbox, listener } of this.watched.values()) sandbox.listeners.delete(listener);
    this.watched.clear();
    const open = [...this.proxies.values()];
    this.proxies.clear();
    await Promise.all(open.map((p) => p.then((proxy) => proxy.close()).catch(() => undefined)));
  }

  private watch(sandboxId: string): void {
    if (this.watched.has(sandboxId) || this.closed) return;
    const sandbox = this.sandboxes.byId(sandboxId);
    const listener: SandboxListener = { gone: () => void this.sandboxGone(sandboxId) };
    sandbox.listeners.add(listener);
    this.watched.set(sandboxId, { sandbox, listener });
  }

  /** Endpoints die with their sandbox: their records go and their listeners close. */
  private async sandboxGone(sandboxId: string): Promise<void> {
    this.watched.delete(sandboxId);
    const ended: StoredRecord<ServiceRecord>[] = this.records
      .list<ServiceRecord>(SERVICE_KIND)
      .filter((stored) => stored.record.sandboxId === sandboxId);
    for (const stored of ended) this.records.delete(SERVICE_KIND, stored.scope, stored.name);
    await Promise.all(ended.map((stored) => this.close({ workspace: stored.scope, name: stored.name })));
  }

  /** Where a request to the endpoint goes now, read from its record and its sandbox. */
  private target(key: EndpointKey): ServiceTarget {
    const stored = this.records.get<ServiceRecord>(SERVICE_KIND, key.workspace, key.name);
    if (stored === undefined) return { ok: false, status: 502, message: "this service endpoint was deleted" };
    const { sandboxId, sandboxName, targetPort } = stored.record;
    let phase: SandboxPhase;
    try {
      phase = this.sandboxes.byId(sandboxId).phase;
    } catch {
      return { ok: false, status: 502, message: `sandbox "${sandboxName}" no longer exists` };
    }
    if (phase !== SandboxPhase.READY) {
      return {
        ok: false,
        status: 412,
        message: `sandbox "${sandboxName}" is not ready (${SandboxPhase[phase]}); wait for it with sb.ready()`,
      };
    }
    try {
      return { ok: true, ...this.backend.address(sandboxId, targetPort, "127.0.0.1") };
    } catch (error) {
      return { ok: false, status: 502, message: (error as Error).message };
    }
  }
}
