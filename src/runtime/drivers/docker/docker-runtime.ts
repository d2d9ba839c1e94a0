import type Docker from "dockerode";
import type { Capability } from "../../capabilities.js";
import { type EngineEndpointInput, engineEndpointOption } from "../../endpoint-option.js";
import { describeEndpoint, type EngineEndpoint } from "../../engine-endpoint.js";
import type { CallOptions, RuntimeInfo } from "../../runtime-info.js";
import { engineClient, signalAware } from "../engine/engine-client.js";
import { connectCall } from "../engine/engine-connect.js";
import { EngineContext } from "../engine/engine-context.js";
import {
  containerAddressesReachable,
  ENGINE_BASE_CAPABILITIES,
  EngineRuntime,
} from "../engine/engine-runtime.js";

export interface DockerRuntimeOptions extends CallOptions {
  /**
   * Where the engine is, structured or as a URL (`unix:///var/run/docker.sock`, `tcp://host:2375`);
   * `/var/run/docker.sock` when absent. Detection (`createRuntime`) finds it for you.
   */
  endpoint?: EngineEndpointInput;
  /** Session id for labels and the reaper; a new one when absent. */
  sessionId?: string;
}

const DEFAULT_ENDPOINT: EngineEndpoint = { kind: "unix", socketPath: "/var/run/docker.sock" };

/** The Docker Engine API driver (dockerode underneath). */
export class DockerRuntime extends EngineRuntime {
  readonly kind = "docker" as const;

  private constructor(
    endpoint: EngineEndpoint,
    docker: Docker,
    capabilities: ReadonlySet<Capability>,
    sessionId: string | undefined,
  ) {
    super(endpoint, docker, capabilities, sessionId);
  }

  /**
   * Connects to a Docker engine: pings it, and reads what it can do (GPUs, rootless) to declare
   * this driver's capabilities.
   *
   * @throws InvalidArgumentError for an `endpoint` that is not one (field `endpoint`).
   * @throws UnavailableError, TlsError or TimeoutError naming the endpoint, what went wrong and what to
   *   do, when the engine cannot be reached.
   */
  static async connect(options: DockerRuntimeOptions = {}): Promise<DockerRuntime> {
    const endpoint = engineEndpointOption(options.endpoint ?? DEFAULT_ENDPOINT);
    const docker = await engineClient(endpoint);
    const probe = new EngineContext(docker, "docker", describeEndpoint(endpoint));
    const signal = options.signal === undefined ? {} : { abortSignal: options.signal };
    const info = (await connectCall(probe, endpoint, () => signalAware(docker).info(signal))) as DockerInfo;
    const capabilities = new Set<Capability>(ENGINE_BASE_CAPABILITIES);
    if (Object.keys(info.Runtimes ?? {}).some((name) => name.includes("nvidia"))) capabilities.add("gpus");
    if (containerAddressesReachable(endpoint, isRootless(info))) capabilities.add("container-address");
    return new DockerRuntime(endpoint, docker, capabilities, options.sessionId);
  }

  async info(options?: CallOptions): Promise<RuntimeInfo> {
    const signal = options?.signal === undefined ? {} : { abortSignal: options.signal };
    const [version, info] = await Promise.all([
      this.engine.call("read engine version", () => signalAware(this.docker).version(signal)),
      this.engine.call(
        "read engine info",
        () => signalAware(this.docker).info(signal) as Promise<DockerInfo>,
      ),
    ]);
    return {
      kind: "docker",
      version: version.Version,
      apiVersion: version.ApiVersion,
      os: version.Os,
      arch: version.Arch,
      rootless: isRootless(info),
    };
  }
}

interface DockerInfo {
  Runtimes?: Record<string, unknown>;
  SecurityOptions?: string[];
}

function isRootless(info: DockerInfo): boolean {
  return (info.SecurityOptions ?? []).some((option) => option.includes("name=rootless"));
}
