import { createClient } from "@connectrpc/connect";
import type { ConnectOptions } from "../connect/connect-options.js";
import { resolveGateway } from "../connect/discovery/resolve-gateway.js";
import type { GatewayTarget } from "../connect/gateway-target.js";
import { defaultRetryOptions, type RetryOptions } from "../connect/retry-interceptor.js";
import { defaultStreamTimeouts, type StreamTimeouts } from "../connect/stream-timeouts.js";
import { createGatewayTransport, type GatewayTransport } from "../connect/transport.js";
import { Inference } from "../gen/openshell/inference/v1/inference_pb.js";
import { OpenShell as OpenShellService, ServiceStatus } from "../gen/openshell/v1/openshell_pb.js";
import type { LocalOptions } from "../local/local-client.js";
import type { LocalGateway } from "../local/local-gateway.js";
import type { FilesArchiveProvider } from "./files/files-target.js";
import { InferenceService } from "./inference/inference-service.js";
import { GatewayCalls } from "./internal/gateway-calls.js";
import { PolicyService } from "./policy/policy-service.js";
import { ProviderService } from "./providers/provider-service.js";
import { type RawClients, rawClients } from "./raw-clients.js";
import type { RequestOptions } from "./request-options.js";
import { SandboxService } from "./sandboxes/sandbox-service.js";
import { ServiceEndpointService } from "./services/service-endpoint-service.js";
import { TemplateService } from "./templates/template-service.js";
import { WorkspaceService } from "./workspaces/workspace-service.js";

/** Options of {@link OpenShell.connect}: where the gateway is, plus timeouts and retries. */
export interface OpenShellOptions extends ConnectOptions {
  /** Call and stream deadlines; see {@link StreamTimeouts} for the defaults. */
  timeouts?: Partial<StreamTimeouts>;
  /** Backoff for idempotent calls on UNAVAILABLE; `false` turns retries off. */
  retry?: Partial<RetryOptions> | false;
}

/** Result of {@link OpenShell.health}. */
export interface GatewayHealth {
  status: "healthy" | "degraded" | "unhealthy" | "unspecified";
  version: string;
}

/** Result of {@link OpenShell.gatewayInfo}. */
export interface GatewayInfo {
  status: GatewayHealth["status"];
  version: string;
  computeDrivers: { name: string; version: string }[];
}

const statusNames: Record<ServiceStatus, GatewayHealth["status"]> = {
  [ServiceStatus.UNSPECIFIED]: "unspecified",
  [ServiceStatus.HEALTHY]: "healthy",
  [ServiceStatus.DEGRADED]: "degraded",
  [ServiceStatus.UNHEALTHY]: "unhealthy",
};

/**
 * A client of one OpenShell gateway. Services are properties: `sandboxes`, `policy`, `providers`,
 * `inference`, `services`, `workspaces`, and `raw` for the generated clients of everything not wrapped yet.
 *
 * ```ts
 * await using os = await OpenShell.connect();
 * await using sb = await os.sandboxes.create({ image: "python:3.12", command: ["sleep", "infinity"] });
 * await sb.ready();
 * console.log((await sb.exec(["python", "-V"])).stdout);
 * ```
 */
export class OpenShell implements AsyncDisposable {
  readonly sandboxes: SandboxService;
  readonly policy: PolicyService;
  readonly providers: ProviderService;
  readonly inference: InferenceService;
  /** Sandbox ports published to browsers through the gateway. Not available in local mode. */
  readonly services: ServiceEndpointService;
  /** Workspaces, their members, and who you are to the gateway. Not available in local mode. */
  readonly workspaces: WorkspaceService;
  /** Named sandbox workload templates (`sandboxes.create({ template })`). Not available in local mode. */
  readonly templates: TemplateService;
  /** Generated Connect clients over the same connection, auth and retries. */
  readonly raw: RawClients;
  /** The gateway this client talks to. */
  readonly endpoint: string;
  /** The gateway's registered name, when it came from a config root. */
  readonly gatewayName: string | undefined;
  /** Default workspace of workspace-scoped calls. */
  readonly workspace: string;

  /**
   * The embedded gateway behind a client from {@link OpenShell.local}: `listen()` on it to let other
   * processes in, `reconciliation` for what its start found. Undefined for remote gateways.
   */
  readonly localGateway: LocalGateway | undefined;

  private readonly calls: GatewayCalls;
  private readonly connection: GatewayTransport;
  private closing: Promise<void> | undefined;

  private constructor(
    target: GatewayTarget,
    options: OpenShellOptions,
    local?: {
      connection: GatewayTransport;
      gateway: LocalGateway;
      archives?: FilesArchiveProvider | undefined;
    },
  ) {
    const timeouts = { ...defaultStreamTimeouts, ...options.timeouts };
    const retry =
      options.retry === false
        ? { ...defaultRetryOptions, retries: 0 }
        : { ...defaultRetryOptions, ...options.retry };
    this.localGateway = local?.gateway;
    this.connection = local?.connection ?? createGatewayTransport(target, { timeouts, retry });
    const transport = this.connection.transport;
    this.calls = new GatewayCalls(
      createClient(OpenShellService, transport),
      createClient(Inference, transport),
      this.connection,
      target.workspace,
      timeouts,
      target.endpoint,
    );
    this.endpoint = target.endpoint;
    this.gatewayName = target.name;
    this.workspace = target.workspace;
    this.sandboxes = new SandboxService(this.calls, local?.archives);
    this.policy = new PolicyService(this.calls, this.sandboxes);
    this.providers = new ProviderService(this.calls);
    this.inference = new InferenceService(this.calls);
    this.services = new ServiceEndpointService(this.calls);
    this.workspaces = new WorkspaceService(this.calls);
    this.templates = new TemplateService(this.calls);
    this.raw = rawClients(transport);
  }

  /**
   * Finds the gateway (options, then `OPENSHELL_*` env vars, then the openshell CLI's config files) and
   * returns a client. Nothing is sent until the first call; use {@link health} to check reachability.
   *
   * @throws GatewayConfigError naming the file or variable when the configuration is wrong or missing.
   */
  static async connect(options: OpenShellOptions = {}): Promise<OpenShell> {
    return new OpenShell(await resolveGateway(options), options);
  }

  /**
   * Standalone local mode: starts an embedded gateway over the local container runtime (Docker,
   * Podman or Apple `container`; see {@link LocalOptions.runtime}) and returns a client of it, in
   * this process, with no OpenShell gateway installed. The same API as {@link connect}.
   *
   * Sandboxes outlive the client unless `ephemeral` is set; a later `OpenShell.local()` with the
   * same state directory takes them over. Closing the client closes the embedded gateway.
   *
   * @throws RuntimeNotFoundError when no container runtime answers, saying what to install or start.
   * @throws CapabilityError when the runtime lacks what local mode needs.
   */
  static async local(options: LocalOptions = {}): Promise<OpenShell> {
    // Loaded on demand: clients of remote gateways never load the runtime drivers or SQLite.
    const { startLocalClient } = await import("../local/local-client.js");
    const { gateway, target, connection, archives } = await startLocalClient(options);
    return new OpenShell(target, options, { connection, gateway, archives });
  }

  /** Asks the gateway whether it is healthy. Needs no credentials. */
  async health(options?: RequestOptions): Promise<GatewayHealth> {
    const res = await this.calls.unary("health check", options, (o) => this.calls.openshell.health({}, o));
    return { status: statusNames[res.status] ?? "unspecified", version: res.version };
  }

  /** The gateway's version and compute drivers. */
  async gatewayInfo(options?: RequestOptions): Promise<GatewayInfo> {
    const res = await this.calls.unary("get gateway info", options, (o) =>
      this.calls.openshell.getGatewayInfo({}, o),
    );
    return {
      status: statusNames[res.status] ?? "unspecified",
      version: res.gatewayVersion,
      computeDrivers: res.computeDrivers.map((d) => ({
        name: d.name,
        version: d.capabilities?.driverVersion ?? "",
      })),
    };
  }

  /**
   * Closes the connection; streams still open fail. Sandboxes are not touched (an ephemeral local
   * gateway removes its own). With local mode, await the returned promise (or `await using`) to know
   * the embedded gateway has closed.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.sandboxes.closeForwards();
      this.connection.close();
      await this.localGateway?.close();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
