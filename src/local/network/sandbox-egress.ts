import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { MountSpec } from "../../runtime/container-spec.js";
import { credentialCacheOf } from "../credentials/credential-cache.js";
import { SandboxCredentials } from "../credentials/sandbox-credentials.js";
import { DraftStore } from "../drafts/draft-store.js";
import { compileSandboxPolicy, type SandboxBinaries } from "../egress/binary-rules.js";
import { deprecatedTlsValues } from "../egress/deprecated-tls.js";
import { denyAllEgressPolicy, type EgressPolicy } from "../egress/egress-policy.js";
import {
  type EgressClient,
  type EgressEvent,
  EgressProxy,
  type LocalService,
} from "../egress/egress-proxy.js";
import { normalizeHost } from "../egress/host-pattern.js";
import { methodlessRules } from "../egress/methodless-rules.js";
import { activePolicyRevisionOf } from "../handlers/policy-handlers.js";
import type { ProcessInspector } from "../processes/process-inspector.js";
import { binariesNotEnforced, type ProcessVisibility } from "../processes/process-visibility.js";
import type { LiveSandbox } from "../sandboxes/live-sandbox.js";
import type { SandboxManager } from "../sandboxes/sandbox-manager.js";
import type { LocalStateStore } from "../state/state-store.js";
import { type EgressTls, SANDBOX_TLS_DIR } from "./egress-certificates.js";
import type { EgressIsolation } from "./egress-isolation.js";
import { freeLoopbackPort, listenWhenAddressUp, type PendingListener } from "./listen-when-address-up.js";
import { readProxyPort, writeProxyPort } from "./proxy-port.js";
import { SANDBOX_BUNDLE_FILE, SANDBOX_CA_FILE, type SandboxTrustBundles } from "./sandbox-trust-bundles.js";

export interface SandboxEgressOptions {
  isolation: EgressIsolation;
  stateDir: string;
  store: LocalStateStore;
  runtime: Pick<ContainerRuntime, "kind">;
  /** The sandbox network's name (container addresses are looked up on it). */
  network: string;
  /** Names the proxy resolves itself, before DNS; a later spelling of the same name wins. */
  hosts?: Readonly<Record<string, string>>;
  /** Hosts the gateway answers itself (`inference.local`). */
  localServices?: ReadonlyMap<string, LocalService>;
  /**
   * The egress CA: sandboxes get its folder mounted and the variables that make their tools trust
   * it, and the proxy terminates their TLS with certificates it issues.
   */
  tls?: EgressTls;
  /** CA certificates (PEM) the proxy trusts for upstreams besides Node's roots and this host's bundle. */
  trustedCertificates?: readonly string[];
  /**
   * Whether the gateway sees the sandboxes' processes, and the inspector that finds them when it
   * does: rules with `binaries` are enforced with it, or (best_effort) apply to every process with a
   * warning on the sandbox's log. Absent: as if not visible.
   */
  processes?: { visibility: ProcessVisibility; inspector?: ProcessInspector };
}

/** How long a sandbox's compiled policy is trusted before the store is asked again (another process may share it). */
const POLICY_RECHECK_MS = 2000;

interface CachedPolicy {
  version: number;
  policy: EgressPolicy;
  binaries?: SandboxBinaries;
  checkedAt: number;
}

/**
 * The gateway's egress: the proxy on this host's address on the sandbox network, which tells
 * sandboxes apart by their container address, applies each one's active policy revision, and writes
 * every decision on that sandbox's gateway log. Sandboxes find it through HTTP_PROXY and friends
 * ({@link env}); the host firewall closes every other way out.
 */
export class SandboxEgress {
  private readonly policies = new Map<string, CachedPolicy>();
  private readonly byAddress = new Map<string, string>();
  private readonly drafts: DraftStore;
  /** Set by {@link serve}: until then no connection is told apart, so every one is refused. */
  private sandboxes: SandboxManager | undefined;

  private constructor(
    private readonly options: SandboxEgressOptions,
    /** The proxy, or the one that listens once this host holds its address. */
    private readonly proxy: EgressProxy | PendingListener<EgressProxy> | undefined,
    /** Where sandboxes reach the proxy (this gateway's, or another's on the same state directory). */
    private readonly port: number | undefined,
    /** Why this gateway runs no proxy although sandboxes could reach one. */
    readonly note: string | undefined,
  ) {
    this.drafts = new DraftStore(options.store.records);
  }

  static async start(options: SandboxEgressOptions): Promise<SandboxEgress> {
    const attachment = options.isolation.attachment;
    if (attachment === undefined) return new SandboxEgress(options, undefined, undefined, undefined);
    const stored = readProxyPort(options.stateDir);
    // Compared the way the policy compares hosts: case, a trailing dot and IPv6 spelling do not matter.
    const hosts = new Map(Object.entries(options.hosts ?? {}).map(([host, to]) => [normalizeHost(host), to]));
    let egress: SandboxEgress | undefined;
    // Provider credential placeholders become values here, for their bound endpoints only.
    const credentials = new SandboxCredentials({
      store: options.store,
      sandbox: (id) => egress?.sandboxes?.live(id),
    });
    const listen = (port: number) =>
      EgressProxy.listen({
        host: attachment.address,
        port,
        identify: (remote) => egress?.identify(remote),
        ...(hosts.size === 0 ? {} : { resolve: (host: string) => hosts.get(normalizeHost(host)) }),
        ...(options.localServices === undefined ? {} : { localServices: options.localServices }),
        onEvent: (event) => egress?.record(event),
        rewrite: credentials.rewrite,
        websocketText: credentials.websocketText,
        ...(options.tls === undefined ? {} : { tlsCa: options.tls.ca }),
        trustedCertificates: [
          ...(options.tls?.systemRoots === undefined ? [] : [options.tls.systemRoots]),
          ...(options.trustedCertificates ?? []),
        ],
      });
    let proxy: EgressProxy | PendingListener<EgressProxy> | undefined;
    let port = stored;
    let note: string | undefined;
    try {
      proxy = await listen(stored ?? 0);
      port = proxy.port;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRNOTAVAIL" && attachment.bridge === undefined) {
        // The engine puts its gateway address on this host later (Apple `container`'s vmnet): the
        // port is fixed now, since sandboxes carry it in their environment, and taken when it can be.
        const later = stored ?? (await freeLoopbackPort());
        port = later;
        const pending = listenWhenAddressUp({
          listen: () => listen(later),
          onError: (failure) => {
            if ((failure as NodeJS.ErrnoException).code === "EADDRINUSE") pending.stop();
          },
        });
        proxy = pending;
      } else if (code !== "EADDRINUSE" || stored === undefined) {
        throw error;
      } else {
        // Another gateway process on this state directory serves the same sandboxes there.
        note = `egress proxy port ${attachment.address}:${stored} is taken, presumably by another gateway on this state directory`;
      }
    }
    if (port === undefined) throw new Error("the egress proxy has no port");
    if (stored === undefined) writeProxyPort(options.stateDir, port);
    await options.isolation.guard([port]);
    egress = new SandboxEgress(options, proxy, port, note);
    return egress;
  }

  /** The proxy's URL as sandboxes reach it; undefined when they have no egress. */
  get proxyUrl(): string | undefined {
    const address = this.options.isolation.attachment?.address;
    return address === undefined || this.port === undefined ? undefined : `http://${address}:${this.port}`;
  }

  /**
   * What a sandbox's environment says about the proxy and the egress CA, as the upstream supervisor
   * sets it: both spellings of the proxy variables, since tools disagree on which they read (and
   * NODE_USE_ENV_PROXY for Node's own fetch); NO_PROXY keeps the sandbox's own loopback direct.
   */
  env(): Record<string, string> {
    const url = this.proxyUrl;
    if (url === undefined) return {};
    const noProxy = "localhost,127.0.0.1,::1";
    const env: Record<string, string> = {
      HTTP_PROXY: url,
      HTTPS_PROXY: url,
      http_proxy: url,
      https_proxy: url,
      ALL_PROXY: url,
      all_proxy: url,
      grpc_proxy: url,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
      NODE_USE_ENV_PROXY: "1",
    };
    if (this.options.tls !== undefined) {
      // Upstream's files, in the folder provisioning mounts for the sandbox's image (trustBundles):
      // the bundle holds that image's own roots, so replacing a tool's trust store with it keeps
      // every host the image trusted; an image without roots gets the CA alone, and still the variables.
      const bundle = SANDBOX_BUNDLE_FILE;
      Object.assign(env, {
        NODE_EXTRA_CA_CERTS: SANDBOX_CA_FILE,
        DENO_CERT: SANDBOX_CA_FILE,
        SSL_CERT_FILE: bundle,
        REQUESTS_CA_BUNDLE: bundle,
        CURL_CA_BUNDLE: bundle,
        GIT_SSL_CAINFO: bundle,
      });
    }
    return env;
  }

  /**
   * The per-image trust folders that every sandbox must get mounted at /etc/openshell-tls (its
   * environment names the files in it), when sandboxes reach the proxy and it terminates TLS.
   */
  get trustBundles(): SandboxTrustBundles | undefined {
    return this.proxyUrl === undefined ? undefined : this.options.tls?.trustBundles;
  }

  /**
   * The egress CA folder, read-only, for every sandbox that can reach the proxy (older sandboxes'
   * environments name its files; new ones get their image's folder from {@link trustBundles} too).
   */
  mounts(): MountSpec[] {
    const tls = this.options.tls;
    if (tls === undefined || this.proxyUrl === undefined) return [];
    return [{ type: "bind", source: tls.publicDir, target: SANDBOX_TLS_DIR, readOnly: true }];
  }

  /** Starts telling connections apart by the sandboxes of `sandboxes`. */
  serve(sandboxes: SandboxManager): void {
    this.sandboxes = sandboxes;
  }

  /** A new revision was loaded for the sandbox: its next connection uses it. */
  policyChanged(sandboxId: string): void {
    this.policies.delete(sandboxId);
  }

  /** The sandbox was retired: its compiled policy, binaries' pinned hashes and cached credentials go with it. */
  sandboxGone(sandboxId: string): void {
    this.policies.delete(sandboxId);
    credentialCacheOf(this.options.store).forget(sandboxId);
    this.options.processes?.inspector?.forget(sandboxId);
  }

  async close(): Promise<void> {
    const proxy = this.proxy;
    if (proxy === undefined || proxy instanceof EgressProxy) return await proxy?.close();
    proxy.stop();
    await (await proxy.ready)?.close();
  }

  private async identify(remoteAddress: string): Promise<EgressClient | undefined> {
    if (this.sandboxes === undefined) return undefined;
    const address = remoteAddress.replace(/^::ffff:/, "");
    let sandbox = this.sandboxAt(address);
    if (sandbox === undefined) {
      // A container that started a moment ago may not have been inspected yet.
      await this.refreshAddresses();
      sandbox = this.sandboxAt(address);
    }
    if (sandbox === undefined) return undefined;
    const { policy, binaries } = this.policyOf(sandbox.id);
    return {
      sandboxId: sandbox.id,
      sandboxName: sandbox.name,
      policy,
      ...(binaries === undefined ? {} : { binaries }),
    };
  }

  private addressOf(sandbox: LiveSandbox): string | undefined {
    return sandbox.container?.addresses.find((a) => a.network === this.options.network)?.ipv4 || undefined;
  }

  private sandboxAt(address: string): LiveSandbox | undefined {
    const known = this.byAddress.get(address);
    const sandboxes = this.sandboxes as SandboxManager;
    const cached = known === undefined ? undefined : sandboxes.live(known);
    if (cached !== undefined && this.addressOf(cached) === address) return cached;
    this.byAddress.clear();
    for (const sandbox of sandboxes.all()) {
      const own = this.addressOf(sandbox);
      if (own !== undefined) this.byAddress.set(own, sandbox.id);
    }
    const id = this.byAddress.get(address);
    return id === undefined ? undefined : sandboxes.live(id);
  }

  private async refreshAddresses(): Promise<void> {
    const sandboxes = this.sandboxes as SandboxManager;
    const unaddressed = sandboxes
      .all()
      .filter((s) => s.record.containerId !== undefined && this.addressOf(s) === undefined);
    await Promise.allSettled(unaddressed.map((s) => sandboxes.refresh(s)));
  }

  /**
   * The sandbox's active policy, compiled; a policy that does not compile denies everything. Rules
   * with binaries this gateway cannot enforce are said on the sandbox's log when a version loads.
   */
  private policyOf(sandboxId: string): CachedPolicy {
    const now = Date.now();
    const cached = this.policies.get(sandboxId);
    if (cached !== undefined && now - cached.checkedAt < POLICY_RECHECK_MS) return cached;
    const revision = activePolicyRevisionOf(this.options.store, sandboxId);
    const version = revision?.version ?? 0;
    if (cached !== undefined && cached.version === version) {
      cached.checkedAt = now;
      return cached;
    }
    const processes = this.options.processes;
    const checker = processes?.inspector?.forSandbox(sandboxId);
    let compiled: CachedPolicy;
    try {
      const stored = revision?.policy;
      const unenforced =
        stored === undefined
          ? undefined
          : binariesNotEnforced(
              stored,
              processes?.visibility ?? { visible: false, why: "the gateway has no process inspector" },
              this.options.runtime.kind,
            );
      if (unenforced !== undefined) this.sandboxes?.gatewayLog(sandboxId, "WARN", unenforced);
      const deprecated = deprecatedTlsValues(stored?.networkPolicies ?? {});
      for (const warning of [deprecated, methodlessRules(stored?.networkPolicies ?? {})]) {
        if (warning !== undefined)
          this.sandboxes?.gatewayLog(sandboxId, "WARN", `policy version ${version}: ${warning}`);
      }
      const { policy, binaries } = compileSandboxPolicy(stored?.networkPolicies ?? {}, checker);
      compiled = { version, policy, checkedAt: now, ...(binaries === undefined ? {} : { binaries }) };
    } catch (error) {
      // Revisions are checked when they load; one stored by an older version may still not compile.
      const reason = `policy version ${version} cannot be enforced (${(error as Error).message})`;
      compiled = { version, policy: denyAllEgressPolicy(reason), checkedAt: now };
    }
    this.policies.set(sandboxId, compiled);
    return compiled;
  }

  /** One gateway log line per decision, on the sandbox's log; never headers, bodies or query strings. */
  private record(event: EgressEvent): void {
    const client = event.client;
    if (client === undefined) return;
    const { request, decision } = event;
    const target =
      request.kind === "connect"
        ? `CONNECT ${request.host}:${request.port}`
        : `${request.method ?? "GET"} ${event.tls ? "https" : "http"}://${request.host}:${request.port}${(request.path ?? "/").split("?")[0]}`;
    const rule = decision.rule === undefined ? "no rule" : `rule "${decision.rule}"`;
    const verdict = !decision.allowed ? "denied" : decision.audited ? "allowed (audit)" : "allowed";
    const outcome = event.outcome === undefined ? "" : ` -> ${event.outcome}`;
    this.sandboxes?.gatewayLog(
      client.sandboxId,
      decision.allowed && !decision.audited ? "INFO" : "WARN",
      `egress ${verdict} for sandbox "${client.sandboxName}": ${target} (${rule}): ${decision.reason}${outcome}`,
    );
    // A credential refusal is no denied traffic: the host is allowed, and upstream reports it as a
    // finding, never to the policy advisor (a rule would not help). Nor is a binary's refusal: local
    // mode's proposals name host and port only, and approving one would let every binary through.
    if (!decision.allowed && decision.deniedBy === undefined) {
      this.proposeRule(client, request, decision.reason);
    }
  }

  /**
   * A denied connection becomes (or counts on) a pending draft chunk of the sandbox, for the policy
   * advisor calls. When it proposes something new, the sandbox's `follow_status` watchers get the
   * sandbox again, as upstream sends it when a draft changes; a mere hit does not, so a sandbox
   * retrying in a loop does not flood its watchers. The decision stands whatever happens here.
   */
  private proposeRule(client: EgressClient, request: EgressEvent["request"], reason: string): void {
    const sandbox = this.sandboxes?.live(client.sandboxId);
    // A sandbox already deleted keeps no draft: its records went with it.
    if (sandbox === undefined) return;
    let proposed: boolean;
    try {
      proposed = this.drafts.recordDenial(client.sandboxId, request, reason).proposed;
    } catch (error) {
      this.sandboxes?.gatewayLog(
        client.sandboxId,
        "WARN",
        `the denial was not recorded as a draft chunk: ${(error as Error).message}`,
      );
      return;
    }
    if (proposed) sandbox.announce();
  }
}
