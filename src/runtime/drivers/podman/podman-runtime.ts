import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { ContainerRuntimeError } from "../../../errors.js";
import { validate } from "../../../validation/validate.js";
import type { Capability } from "../../capabilities.js";
import type { ListOptions } from "../../container-runtime.js";
import { type EngineEndpointInput, engineEndpointOption } from "../../endpoint-option.js";
import { describeEndpoint, type EngineEndpoint } from "../../engine-endpoint.js";
import { parseImageReference } from "../../image-reference.js";
import { matchesLabels } from "../../labels.js";
import type { LogOptions } from "../../log-types.js";
import type { NetworkInfo, NetworkSpec } from "../../network-types.js";
import type { CallOptions, RuntimeInfo } from "../../runtime-info.js";
import { idSchema } from "../../validation/runtime-schemas.js";
import { dial, engineClient } from "../engine/engine-client.js";
import { connectCall } from "../engine/engine-connect.js";
import { labelFilter } from "../engine/engine-container-info.js";
import { EngineContext } from "../engine/engine-context.js";
import { splitReference } from "../engine/engine-images.js";
import {
  containerAddressesReachable,
  ENGINE_BASE_CAPABILITIES,
  EngineRuntime,
} from "../engine/engine-runtime.js";

export interface PodmanRuntimeOptions extends CallOptions {
  /**
   * Where the API service listens, structured or as a URL (`unix:///run/podman/podman.sock`);
   * `/run/podman/podman.sock` when absent.
   */
  endpoint?: EngineEndpointInput;
  sessionId?: string;
}

const DEFAULT_ENDPOINT: EngineEndpoint = { kind: "unix", socketPath: "/run/podman/podman.sock" };
/** libpod's API is versioned separately from the compat API; v4 paths are served by Podman 4 and 5. */
const LIBPOD = "/v4.0.0/libpod";

interface LibpodNetwork {
  name: string;
  id: string;
  driver: string;
  network_interface?: string;
  subnets?: { subnet: string; gateway?: string }[] | null;
  internal?: boolean;
  labels?: Record<string, string> | null;
}

interface LibpodInfo {
  host: { arch: string; os: string; security?: { rootless?: boolean } };
  version: { Version: string; APIVersion?: string };
}

/**
 * The Podman driver: the Docker-compatible API where Podman behaves the same, libpod where it
 * differs (info, and logs, whose framing does not depend on the container's TTY).
 */
export class PodmanRuntime extends EngineRuntime {
  readonly kind = "podman" as const;

  private constructor(
    endpoint: EngineEndpoint,
    docker: Docker,
    capabilities: ReadonlySet<Capability>,
    sessionId: string | undefined,
  ) {
    super(endpoint, docker, capabilities, sessionId);
  }

  /**
   * Connects to Podman's API service: reads its libpod info (rootless or not) to declare this
   * driver's capabilities.
   *
   * @throws InvalidArgumentError for an `endpoint` that is not one (field `endpoint`).
   * @throws UnavailableError, TlsError or TimeoutError naming the endpoint, what went wrong and what to
   *   do, when the service cannot be reached.
   */
  static async connect(options: PodmanRuntimeOptions = {}): Promise<PodmanRuntime> {
    const endpoint = engineEndpointOption(options.endpoint ?? DEFAULT_ENDPOINT);
    const docker = await engineClient(endpoint);
    const probe = new EngineContext(docker, "podman", describeEndpoint(endpoint));
    const info = await connectCall(probe, endpoint, () =>
      libpod<LibpodInfo>(docker, "GET", "/info", options.signal),
    );
    const capabilities = new Set<Capability>(ENGINE_BASE_CAPABILITIES);
    if (containerAddressesReachable(endpoint, info.host.security?.rootless ?? false)) {
      capabilities.add("container-address");
    }
    return new PodmanRuntime(endpoint, docker, capabilities, options.sessionId);
  }

  async info(options?: CallOptions): Promise<RuntimeInfo> {
    const info = await this.engine.call("read engine info", () =>
      libpod<LibpodInfo>(this.docker, "GET", "/info", options?.signal),
    );
    return {
      kind: "podman",
      version: info.version.Version,
      ...(info.version.APIVersion === undefined ? {} : { apiVersion: info.version.APIVersion }),
      os: info.host.os,
      arch: info.host.arch,
      rootless: info.host.security?.rootless ?? false,
    };
  }

  /**
   * libpod, not the compat API: only libpod names the network's bridge (`network_interface`) on
   * create and says which bridge a network has.
   */
  protected override async createEngineNetwork(
    spec: NetworkSpec,
    labels: Record<string, string>,
    options?: CallOptions,
  ): Promise<void> {
    await this.engine.call(`create network ${spec.name}`, () =>
      dial(this.docker, {
        method: "POST",
        path: `${LIBPOD}/networks/create`,
        body: {
          name: spec.name,
          driver: "bridge",
          internal: spec.internal ?? false,
          labels,
          ...(spec.bridgeName === undefined ? {} : { network_interface: spec.bridgeName }),
        },
        okStatuses: [200, 201],
        ...(options?.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
  }

  override async listNetworks(options?: ListOptions): Promise<NetworkInfo[]> {
    const list = await this.engine.call("list networks", () =>
      dial<LibpodNetwork[]>(this.docker, {
        method: "GET",
        path: `${LIBPOD}/networks/json?`,
        query: { filters: JSON.stringify({ label: labelFilter(options?.labels) }) },
        okStatuses: [200],
        ...(options?.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
    return list.map(libpodNetworkInfo).filter((n) => matchesLabels(n.labels, options?.labels));
  }

  /**
   * libpod's wait, polling every 20 ms: Podman 4.3's compatible wait answers about 0.6 s after the
   * container has stopped (measured here: 773 ms against 170 ms for a container running `true`),
   * which every short-lived container (an image probe, an account probe) would pay.
   */
  override async waitContainer(id: string, options?: CallOptions): Promise<number> {
    validate(idSchema, id, "id");
    const code = await this.engine.call(`wait for container ${id}`, () =>
      dial<unknown>(this.docker, {
        method: "POST",
        path: `${LIBPOD}/containers/${encodeURIComponent(id)}/wait?`,
        // Both: waiting for `stopped` alone (libpod's default) hung here for a container that had
        // already exited and been cleaned up (its state is then `exited`).
        query: { condition: ["stopped", "exited"], interval: "20ms" },
        okStatuses: [200],
        ...(options?.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
    const exitCode = typeof code === "number" ? code : Number(code);
    if (!Number.isInteger(exitCode)) {
      throw new ContainerRuntimeError(
        `wait for container ${id}: podman answered ${JSON.stringify(code)}, not an exit code`,
        {
          runtime: this.kind,
        },
      );
    }
    return exitCode;
  }

  /**
   * libpod, not the compat API: the compat API files a name with no registry under `docker.io/`
   * (so `podman push` of it would go to Docker Hub), where Podman's own tools say `localhost/`.
   */
  override async tagImage(ref: string, target: string, options?: CallOptions): Promise<void> {
    validate(idSchema, ref, "ref");
    parseImageReference(target, { field: "target", tagOnly: true });
    const { repo, tag } = splitReference(target);
    await this.engine.call(`tag image ${ref} as ${target}`, () =>
      dial(this.docker, {
        method: "POST",
        path: `${LIBPOD}/images/${encodeURIComponent(ref)}/tag?`,
        query: { repo, tag },
        okStatuses: [200, 201],
        ...(options?.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
  }

  /** libpod's logs always carry frame headers, TTY or not: no inspect needed to know. */
  protected override async openLogStream(
    id: string,
    options: LogOptions,
  ): Promise<{ stream: Readable; framed: boolean }> {
    const query = {
      follow: options.follow ?? false,
      stdout: options.stdout ?? true,
      stderr: options.stderr ?? true,
      timestamps: options.timestamps ?? false,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.since === undefined ? {} : { since: Math.floor(options.since.getTime() / 1000) }),
    };
    const stream = await libpodStream(
      this.docker,
      `/containers/${encodeURIComponent(id)}/logs?`,
      query,
      options.signal,
    );
    return { stream, framed: true };
  }
}

function libpod<T>(docker: Docker, method: "GET", path: string, signal?: AbortSignal): Promise<T> {
  return dial<T>(docker, {
    method,
    path: `${LIBPOD}${path}`,
    okStatuses: [200],
    ...(signal === undefined ? {} : { signal }),
  });
}

/** A streaming libpod GET; `path` ends with `?` for the query. */
function libpodStream(
  docker: Docker,
  path: string,
  query: Record<string, string | number | boolean>,
  signal?: AbortSignal,
): Promise<Readable> {
  return dial<Readable>(docker, {
    method: "GET",
    path: `${LIBPOD}${path}`,
    query,
    stream: true,
    okStatuses: [200],
    ...(signal === undefined ? {} : { signal }),
  });
}

function libpodNetworkInfo(network: LibpodNetwork): NetworkInfo {
  const ipv4 = (network.subnets ?? []).find((s) => !s.subnet.includes(":"));
  return {
    id: network.id,
    name: network.name,
    internal: network.internal ?? false,
    labels: network.labels ?? {},
    ...(ipv4 === undefined ? {} : { subnet: ipv4.subnet }),
    ...(ipv4?.gateway ? { gateway: ipv4.gateway } : {}),
    ...(network.driver === "bridge" && network.network_interface
      ? { bridge: network.network_interface }
      : {}),
  };
}
