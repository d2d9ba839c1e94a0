import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  type ConnectRouter,
  createRouterTransport,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { NotFoundError } from "../errors.js";
import type { Capability } from "../runtime/capabilities.js";
import type { ContainerSummary } from "../runtime/container-info.js";
import type { ContainerRuntime } from "../runtime/container-runtime.js";
import { type CreateRuntimeOptions, createRuntime } from "../runtime/create-runtime.js";
import type { RuntimeKind } from "../runtime/runtime-info.js";
import { compileSandboxPolicy } from "./egress/binary-rules.js";
import { GATEWAY_LABEL, gatewayIdOf, newGatewayId, readGatewayId } from "./gateway-identity.js";
import { gatewayRoutes } from "./gateway-routes.js";
import { ensureGatewayCertificates, type GatewayCertificates } from "./listen/gateway-certificates.js";
import { listenWithMtls } from "./listen/loopback-listener.js";
import { type GatewayRegistration, registerGateway } from "./listen/register-gateway.js";
import { ensureEgressTls } from "./network/egress-certificates.js";
import {
  assertHostIsolation,
  type EgressIsolation,
  type HostIsolation,
  prepareEgressIsolation,
} from "./network/egress-isolation.js";
import { validateEgressOptions } from "./network/egress-options.js";
import { hostAliasAddress } from "./network/host-alias.js";
import { INFERENCE_HOST, inferenceLocalService } from "./network/inference-service.js";
import { SandboxEgress } from "./network/sandbox-egress.js";
import { ensureSandboxNetwork } from "./network/sandbox-network.js";
import { ProcessInspector } from "./processes/process-inspector.js";
import { binariesNotEnforced, processVisibility } from "./processes/process-visibility.js";
import { gatewayErrorInterceptor } from "./protocol/gateway-error-interceptor.js";
import { unimplementedMethod } from "./protocol/unimplemented-method.js";
import { HOST_ALIAS } from "./sandboxes/sandbox-container-spec.js";
import type { Reconciliation, SandboxManager } from "./sandboxes/sandbox-manager.js";
import type { ServiceListeners } from "./services/service-listeners.js";
import {
  claimStateDir,
  claimTemporaryStateDir,
  defaultStateDir,
  releaseStateDir,
  STATE_ENTRIES,
  type StateDirClaim,
} from "./state/state-dir.js";
import { LocalStateStore } from "./state/state-store.js";

/**
 * What local mode needs from a runtime before it creates anything: containers it can exec into and
 * an internal network of its own (the sandboxes' only way out is the gateway's egress proxy).
 * `container-address` is not required: without it (rootless engines, Docker Desktop's VM) sandboxes
 * run without egress and `forward` answers FAILED_PRECONDITION saying why. `log-timestamps` is not
 * required either: without it (Apple's `container logs`) the gateway stamps each line of a sandbox's
 * output when it reads it (in order, never earlier than the line before) and resumes after a restart
 * by the count of lines it already stored, so no line is stored twice or skipped.
 */
export const LOCAL_MODE_CAPABILITIES: readonly Capability[] = ["exec", "networks", "internal-networks"];

export interface LocalGatewayOptions {
  /**
   * The container runtime: a name (`docker`, `podman`, `apple-container`), `"auto"` (the default:
   * `OPENSHELL_RUNTIME`, then detection), or a runtime you made with `createRuntime`.
   */
  runtime?: RuntimeKind | "auto" | ContainerRuntime;
  /** Options for `createRuntime` when `runtime` is not an instance (endpoint, env, platform). */
  runtimeOptions?: Omit<CreateRuntimeOptions, "runtime" | "sessionId" | "reapOnExit">;
  /**
   * Where records, providers, policy revisions, routes and logs are kept. Default:
   * `$XDG_STATE_HOME/openshell/local` (`~/.local/state/openshell/local`); with `ephemeral`, a new
   * temporary directory. Missing directories are made (0700). The gateway writes only these entries
   * in it: `state.db` (with `state.db-wal`, `state.db-shm`), `gateway-id`, `egress-port`,
   * `egress-tls/` and `tls/`; anything else there is left alone.
   */
  stateDir?: string;
  /**
   * Everything this gateway makes is removed when it closes: its sandboxes, their network and
   * firewall rules (these also when its process dies, even by SIGKILL), and its state. Of the state
   * it removes only what it made: a temporary directory of its own whole; in a `stateDir` you give,
   * its own entries (listed under `stateDir`) and any directory of that path it had to make, if
   * nothing else is in it. Your directory and your files in it stay. For tests and one-off scripts.
   * Default false: sandboxes outlive the process and a later gateway with the same state directory
   * takes them over.
   */
  ephemeral?: boolean;
  /** Image for sandboxes created without `template.image`. */
  defaultImage?: string;
  /** Seconds a stopping sandbox gets before it is killed. Default 10. */
  stopTimeoutSeconds?: number;
  /**
   * Sandboxes must not reach this host's own services except through the egress proxy: the gateway
   * sets host firewall rules for its sandbox bridge, which needs root and iptables. `require` (the
   * default) refuses to start without them; `best-effort` starts anyway, warns, and writes the
   * limitation on every sandbox's gateway log.
   */
  hostIsolation?: HostIsolation;
  /**
   * Host names the egress proxy resolves itself before DNS, like an /etc/hosts of the sandboxes'
   * egress: `{ "api.internal.test": "127.0.0.1" }` (each value an IPv4 or IPv6 address). The policy
   * still decides who may connect; a name given here that leads to this host's loopback or
   * link-local addresses is reached only by an endpoint naming it exactly, never by a glob or a
   * hostless endpoint. `host.openshell.internal` is set by {@link LocalGatewayOptions.hostAlias}
   * unless given here.
   */
  egressHosts?: Readonly<Record<string, string>>;
  /**
   * What `host.openshell.internal` reaches through the egress proxy, for endpoints that name it
   * exactly (a glob such as `*.openshell.internal`, or an endpoint with no host, never reaches this
   * host's loopback through it):
   * - `"host-gateway"` (the default): this host as the engine's containers see it, as on the
   *   gateway (Docker's `host-gateway`, Podman's `host.containers.internal`): the proxy connects to
   *   this host's address on the sandbox network. Services listening on all addresses answer;
   *   services bound only to 127.0.0.1 do not.
   * - `"loopback"`: this host's 127.0.0.1, so that a sandbox whose policy names
   *   `host.openshell.internal` reaches services bound only to loopback (a development server, a
   *   local model server). An explicit opt-in: it opens the host's loopback to such sandboxes.
   */
  hostAlias?: "host-gateway" | "loopback";
  /**
   * CA certificates (PEM strings, each holding one or more certificates) the egress proxy trusts
   * for upstreams, besides Node's bundled roots and this host's CA bundle. The proxy terminates a
   * sandbox's TLS (with the gateway's egress CA, which sandboxes trust through `SSL_CERT_FILE` and
   * friends) and reaches the upstream over TLS it checks itself, strictly: an upstream signed by a
   * private CA (a company proxy, a test server) is answered 502 "not trusted by the gateway" until
   * its CA is listed here. Endpoints with `tls: "skip"` are tunnelled unread and need none of this.
   */
  egressTrustedCertificates?: readonly string[];
  signal?: AbortSignal;
}

export interface ListenOptions {
  /** Default 127.0.0.1. A non-loopback address also needs `allowNonLoopback`. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  allowNonLoopback?: boolean;
  /** Register the gateway under this name in the OpenShell config root (removed again on close). */
  register?: string;
  /** Config root to register in. Default: the user's (`$XDG_CONFIG_HOME/openshell`). */
  configRoot?: string;
  /** Also make it the active gateway, so a bare `OpenShell.connect()` finds it. */
  makeActive?: boolean;
}

export interface LocalListener {
  /** `https://127.0.0.1:<port>`. */
  endpoint: string;
  port: number;
  /** The CA and a client certificate that the listener accepts (PEM), for clients you configure yourself. */
  certificates: GatewayCertificates;
  /** The registered name, when `register` was given. */
  gatewayName: string | undefined;
  /** Stops listening and removes the registration. */
  close(): Promise<void>;
}

/**
 * The embedded OpenShell gateway: the gateway protocol served over a local container runtime, with
 * durable state in a state directory. Reach it in-process through {@link transport} (what
 * `OpenShell.local()` does) or from other processes through `listen()`.
 */
export class LocalGateway implements AsyncDisposable {
  private closed: Promise<void> | undefined;
  private readonly listeners = new Set<() => Promise<void>>();

  private constructor(
    readonly runtime: ContainerRuntime,
    readonly stateDir: string,
    readonly gatewayId: string,
    /** The network every sandbox joins. */
    readonly network: string,
    /** What the start found: sandboxes running again, sandboxes whose container vanished, orphans. */
    readonly reconciliation: Reconciliation,
    private readonly store: LocalStateStore,
    private readonly sandboxes: SandboxManager,
    private readonly services: ServiceListeners,
    private readonly routes: (router: ConnectRouter) => void,
    private readonly interceptors: Interceptor[],
    /** Where forwards say the gateway is: the in-memory transport has no address until `listen()`. */
    private readonly endpoint: { current: URL },
    private readonly ownsRuntime: boolean,
    /** Set when the gateway is ephemeral: the state it made, released when it closes. */
    private readonly ephemeralState: StateDirClaim | undefined,
    private readonly egress: SandboxEgress,
    private readonly isolation: EgressIsolation,
  ) {}

  /**
   * Selects and checks the runtime, opens the state directory, makes the gateway's network if it is
   * missing, and reconciles stored sandboxes with the runtime's containers.
   *
   * @throws RuntimeNotFoundError when no runtime answers (saying what was probed and what to install).
   * @throws CapabilityError naming what the runtime lacks for local mode.
   * @throws InvalidArgumentError naming the option, for `hostIsolation`, `egressHosts`, `hostAlias` or `egressTrustedCertificates`
   *   values it does not take.
   */
  static async start(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
    validateEgressOptions(options);
    const ephemeral = options.ephemeral ?? false;
    const temporary = ephemeral && options.stateDir === undefined ? claimTemporaryStateDir() : undefined;
    const stateDir = temporary?.dir ?? options.stateDir ?? defaultStateDir();
    const cleanups: (() => Promise<void> | void)[] = [];
    // The state directory and what of it this start made: released again if the start fails, and
    // when an ephemeral gateway closes.
    let claim: StateDirClaim | undefined = temporary;
    try {
      // The runtime first: a runtime that is not there, or cannot do what local mode needs, must
      // leave nothing behind, not even a state directory. Its session is the gateway's id, so with
      // `ephemeral` the reaper removes exactly what this gateway made when the process dies.
      const proposedId = readGatewayId(stateDir) ?? newGatewayId();
      const given = typeof options.runtime === "object" ? options.runtime : undefined;
      const kind =
        typeof options.runtime === "string" && options.runtime !== "auto" ? options.runtime : undefined;
      const runtime =
        given ??
        (await createRuntime({
          ...options.runtimeOptions,
          ...(kind === undefined ? {} : { runtime: kind }),
          sessionId: proposedId,
          reapOnExit: ephemeral,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        }));
      if (!given) cleanups.push(() => runtime.close());
      runtime.require(LOCAL_MODE_CAPABILITIES);
      const runtimeInfo = await runtime.info();

      claim ??= claimStateDir(stateDir);
      const store = LocalStateStore.open(stateDir);
      cleanups.push(() => store.close());
      // Another process sharing the directory may have written its id first: that one is the id.
      const gatewayId = gatewayIdOf(stateDir, proposedId);
      const gatewayLabels = { [GATEWAY_LABEL]: gatewayId };
      const { network, created } = await ensureSandboxNetwork(runtime, gatewayId, gatewayLabels);
      // A start that fails leaves no network (and no firewall) it made: nothing runs on them yet.
      if (created) cleanups.push(() => runtime.removeNetwork(network.name).catch(() => undefined));
      const isolation = await prepareEgressIsolation(runtime, network, gatewayId);
      if (created) cleanups.push(() => isolation.remove().catch(() => undefined));
      const tls = isolation.attachment === undefined ? undefined : await ensureEgressTls(stateDir);
      const hostAlias = hostAliasAddress(options.hostAlias ?? "host-gateway", isolation.attachment);
      let manager: SandboxManager | undefined;
      const inference = inferenceLocalService({
        store,
        sandboxes: () => manager,
        ...(tls === undefined ? {} : { tls: tls.inference }),
      });
      // Rules with binaries are enforced where the gateway sees the sandboxes' processes.
      const visibility = processVisibility({
        runtime: runtimeInfo,
        endpoint: runtime.endpoint,
        platform: process.platform,
        uid: process.getuid?.(),
      });
      const egress = await SandboxEgress.start({
        processes: { visibility, ...(visibility.visible ? { inspector: new ProcessInspector() } : {}) },
        isolation,
        stateDir,
        store,
        runtime,
        network: network.name,
        localServices: new Map([[INFERENCE_HOST, inference]]),
        ...(tls === undefined ? {} : { tls }),
        ...(options.egressTrustedCertificates === undefined
          ? {}
          : { trustedCertificates: options.egressTrustedCertificates }),
        // The host alias names this host for rules that allow it; its loopback only when asked for.
        hosts: { ...(hostAlias === undefined ? {} : { [HOST_ALIAS]: hostAlias }), ...options.egressHosts },
      });
      cleanups.push(() => egress.close());
      assertHostIsolation(isolation, options.hostIsolation ?? "require", runtime.kind);
      if (isolation.limitation !== undefined) {
        process.emitWarning(`openshell: ${isolation.limitation}`, { code: "OPENSHELL_EGRESS_LIMITED" });
      }
      const endpoint = { current: new URL("https://127.0.0.1:0") };
      const { routes, sandboxes, services } = gatewayRoutes({
        runtime,
        runtimeVersion: runtimeInfo.version,
        endpoint: () => endpoint.current,
        store,
        network: network.name,
        gatewayLabels,
        egressEnv: egress.env(),
        extraMounts: egress.mounts(),
        ...(egress.trustBundles === undefined ? {} : { trustBundles: egress.trustBundles }),
        // A sandbox's own lookups of the alias find this host's address on its network, where the
        // proxy listens; proxied requests name the alias and the proxy resolves it by itself.
        ...(isolation.attachment === undefined ? {} : { hostAliasAddress: isolation.attachment.address }),
        checkPolicy: (policy) => {
          binariesNotEnforced(policy, visibility, runtime.kind);
          compileSandboxPolicy(policy.networkPolicies);
        },
        onPolicyLoaded: (sandboxId) => egress.policyChanged(sandboxId),
        onSandboxGone: (sandboxId) => egress.sandboxGone(sandboxId),
        ...(isolation.limitation === undefined ? {} : { sandboxWarning: isolation.limitation }),
        ...(options.defaultImage === undefined ? {} : { defaultImage: options.defaultImage }),
        ...(options.stopTimeoutSeconds === undefined
          ? {}
          : { stopTimeoutSeconds: options.stopTimeoutSeconds }),
      });
      manager = sandboxes;
      egress.serve(sandboxes);
      const reconciliation = await sandboxes.start();
      // Published services answer again on their old ports (the sandboxes are known by now).
      cleanups.push(() => services.closeAll());
      await services.restore();
      return new LocalGateway(
        runtime,
        stateDir,
        gatewayId,
        network.name,
        reconciliation,
        store,
        sandboxes,
        services,
        routes,
        [gatewayErrorInterceptor()],
        endpoint,
        !given,
        ephemeral ? claim : undefined,
        egress,
        isolation,
      );
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup();
      // What this start made goes: a directory made just now holds nothing but the gateway's files.
      if (claim?.made !== undefined) rmSync(claim.made, { recursive: true, force: true });
      else if (ephemeral && claim !== undefined) releaseStateDir(claim);
      throw error;
    }
  }

  /** An in-memory transport to this gateway: no sockets, no TLS, the whole protocol. */
  transport(): Transport {
    return createRouterTransport(this.routes, { router: { interceptors: this.interceptors } });
  }

  /**
   * Serves this gateway to other processes over HTTP/2 with mutual TLS, on loopback unless
   * `allowNonLoopback` says otherwise (there is no plaintext option). Certificates are made once in
   * `<stateDir>/tls` (keys 0600). With `register`, the gateway is written under the OpenShell config
   * root as that name, so `OpenShell.connect({ gateway: name })` and other OpenShell clients reach it.
   */
  async listen(options: ListenOptions = {}): Promise<LocalListener> {
    const certificates = await ensureGatewayCertificates(join(this.stateDir, STATE_ENTRIES.listenTls));
    const listener = await listenWithMtls(this.nodeHandler(), {
      certificates,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.allowNonLoopback === undefined ? {} : { allowNonLoopback: options.allowNonLoopback }),
    });
    this.endpoint.current = new URL(listener.endpoint);
    let registration: GatewayRegistration | undefined;
    try {
      if (options.register !== undefined) {
        registration = await registerGateway({
          name: options.register,
          endpoint: listener.endpoint,
          certificates,
          ...(options.configRoot === undefined ? {} : { configRoot: options.configRoot }),
          ...(options.makeActive === undefined ? {} : { makeActive: options.makeActive }),
        });
      }
    } catch (error) {
      await listener.close();
      throw error;
    }
    const close = async () => {
      await registration?.unregister();
      await listener.close();
    };
    this.listeners.add(close);
    return {
      endpoint: listener.endpoint,
      port: listener.port,
      certificates,
      gatewayName: registration?.name,
      close: async () => {
        this.listeners.delete(close);
        await close();
      },
    };
  }

  /**
   * A Node request handler serving the gateway over HTTP/2 (gRPC, gRPC-web and Connect). A method it
   * does not serve is UNIMPLEMENTED in the caller's protocol (gRPC: `grpc-status: 12`), not a bare 404.
   */
  nodeHandler(): ReturnType<typeof connectNodeAdapter> {
    return connectNodeAdapter({
      routes: this.routes,
      interceptors: this.interceptors,
      fallback: unimplementedMethod,
      // Answers go uncompressed (compressed requests are still read): the gateway listens on
      // loopback, where gzip buys nothing, and 1,000 concurrent gzipped answers held a zlib state
      // of ~256 KiB each, more than doubling the gateway's memory under load (bench/load).
      compressMinBytes: Number.MAX_SAFE_INTEGER,
    });
  }

  /**
   * Stops watching the runtime and closes the state store. Sandboxes keep running unless the gateway
   * is ephemeral (or `removeSandboxes` is set): then every container and the network it made are removed.
   * An ephemeral gateway also removes the state it made (see {@link LocalGatewayOptions.ephemeral}).
   */
  close(options: { removeSandboxes?: boolean } = {}): Promise<void> {
    this.closed ??= (async () => {
      for (const close of this.listeners) await close();
      await this.services.closeAll();
      await this.egress.close();
      await this.sandboxes.close();
      if (this.ephemeralState !== undefined || options.removeSandboxes) {
        const left = await removeEverything(this.runtime, { [GATEWAY_LABEL]: this.gatewayId }, this.network);
        // The firewall stays while sandboxes may run (they would reach the host without it).
        if (left.length === 0) await this.isolation.remove().catch(() => undefined);
        // No container of this state directory is left to mount its image's CA folder.
        if (left.length === 0) await this.egress.trustBundles?.prune([]).catch(() => undefined);
        // Their records go too, so the next start neither reports them missing nor keeps their names.
        this.sandboxes.retireAll(left);
      }
      this.store.close();
      if (this.ownsRuntime) await this.runtime.close();
      if (this.ephemeralState !== undefined) releaseStateDir(this.ephemeralState);
    })();
    return this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Removes every container of the gateway and its network; resolves with the containers that are
 * still there afterwards (a removal the engine refused), by id.
 */
async function removeEverything(
  runtime: ContainerRuntime,
  labels: Record<string, string>,
  network: string,
): Promise<ContainerSummary[]> {
  const containers = await runtime.listContainers({ labels });
  await Promise.allSettled(containers.map((c) => runtime.removeContainer(c.id, { force: true })));
  await removeNetworkPatiently(runtime, network);
  return runtime.listContainers({ labels }).catch(() => containers);
}

/**
 * Docker 20.10 sometimes refuses to remove a network right after many containers left it ("has
 * active endpoints") although none remain: it settles within a few seconds, so retry for a while.
 * A network that is already gone is fine; one that stays is worth a warning, not a failed close.
 */
async function removeNetworkPatiently(runtime: ContainerRuntime, network: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await runtime.removeNetwork(network);
      return;
    } catch (error) {
      if (error instanceof NotFoundError) return;
      if (attempt >= 6) {
        process.emitWarning(
          `openshell: could not remove the local gateway's network ${network} (${(error as Error).message}); ` +
            `remove it with \`${runtime.kind === "podman" ? "podman" : "docker"} network rm ${network}\``,
          { code: "OPENSHELL_NETWORK_LEFT" },
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}
