import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { validate } from "../../../validation/validate.js";
import type {
  ArchivePathStat,
  ArchiveStream,
  ArchiveView,
  GetArchiveOptions,
  PutArchiveOptions,
} from "../../archive-types.js";
import {
  assertCapabilities,
  CAPABILITIES,
  type Capability,
  capabilitiesForLogs,
  capabilitiesForSpec,
} from "../../capabilities.js";
import type { ContainerInfo, ContainerSummary } from "../../container-info.js";
import type {
  ContainerRuntime,
  KillOptions,
  ListOptions,
  ReapOptions,
  ReapResult,
  RemoveOptions,
  StopOptions,
} from "../../container-runtime.js";
import type { ContainerSpec } from "../../container-spec.js";
import { describeEndpoint, type EngineEndpoint } from "../../engine-endpoint.js";
import type { ContainerEvent, WatchOptions } from "../../event-types.js";
import type { ExecProcess, ExecSpec } from "../../exec-types.js";
import { parseImageReference } from "../../image-reference.js";
import type { BuildOptions, ImageInfo, LoadOptions, PullOptions, SaveOptions } from "../../image-types.js";
import { matchesLabels, newSessionId, sessionLabels, withSessionLabels } from "../../labels.js";
import type { LogLine, LogOptions } from "../../log-types.js";
import type { NetworkInfo, NetworkSpec, VolumeInfo, VolumeSpec } from "../../network-types.js";
import { reapSession } from "../../reaper/reap-session.js";
import { type ReaperHandle, startReaper } from "../../reaper/start-reaper.js";
import type { CallOptions, RuntimeInfo, RuntimeKind } from "../../runtime-info.js";
import {
  containerSpecSchema,
  execSpecSchema,
  idSchema,
  logOptionsSchema,
  networkSpecSchema,
  volumeSpecSchema,
} from "../../validation/runtime-schemas.js";
import {
  checkArchivePath,
  engineArchiveView,
  getEngineArchive,
  putEngineArchive,
  statEngineArchive,
} from "./engine-archive.js";
import { signalAware } from "./engine-client.js";
import { labelFilter, toContainerInfo, toContainerSummary } from "./engine-container-info.js";
import { EngineContext } from "./engine-context.js";
import { engineCreateBody } from "./engine-create-body.js";
import { hasStatus } from "./engine-errors.js";
import { engineContainerEvents } from "./engine-events.js";
import { startEngineExec } from "./engine-exec.js";
import {
  buildEngineImage,
  inspectEngineImage,
  loadEngineImage,
  pullEngineImage,
  saveEngineImage,
  tagEngineImage,
} from "./engine-images.js";
import { engineLogLines } from "./engine-logs.js";

export interface EngineRuntimeOptions {
  endpoint: EngineEndpoint;
  /** Session id for labels and the reaper; a new one when absent. */
  sessionId?: string;
}

/**
 * What every Docker-API engine supports: everything but what depends on the engine's host, which
 * each driver adds after asking the engine (GPUs, container addresses routable from here).
 */
export const ENGINE_BASE_CAPABILITIES: readonly Capability[] = CAPABILITIES.filter(
  (capability) => capability !== "gpus" && capability !== "container-address",
);

/**
 * Whether container addresses are routable from this host: only when the engine shares this Linux
 * machine's network (not Docker Desktop's VM, not a rootless engine's user namespace, not a remote
 * engine). Both engine drivers declare `container-address` by this one rule.
 */
export function containerAddressesReachable(endpoint: EngineEndpoint, rootless: boolean): boolean {
  return endpoint.kind === "unix" && process.platform === "linux" && !rootless;
}

const signalOption = (options?: CallOptions) =>
  options?.signal === undefined ? {} : { abortSignal: options.signal };

/**
 * The ContainerRuntime contract over the Docker Engine API, shared by the Docker and Podman drivers
 * (Podman serves the same API; its driver overrides the calls where libpod differs).
 */
export abstract class EngineRuntime implements ContainerRuntime {
  abstract readonly kind: RuntimeKind;
  readonly endpoint: string;
  readonly sessionId: string;
  readonly sessionLabels: Readonly<Record<string, string>>;
  private engineContext: EngineContext | undefined;
  private reaper: Promise<ReaperHandle> | undefined;

  /**
   * `docker` is the client the driver's `connect` made and probed the engine with.
   * @internal Kept out of the published typings with `docker`: dockerode's types are a dev
   * dependency, so naming them there fails a strict consumer's type check (TS7016).
   */
  protected constructor(
    protected readonly engineEndpoint: EngineEndpoint,
    /** @internal */
    protected readonly docker: Docker,
    readonly capabilities: ReadonlySet<Capability>,
    sessionId: string | undefined,
  ) {
    this.endpoint = describeEndpoint(engineEndpoint);
    this.sessionId = sessionId ?? newSessionId();
    this.sessionLabels = sessionLabels(this.sessionId);
  }

  /** @internal */
  protected get engine(): EngineContext {
    this.engineContext ??= new EngineContext(this.docker, this.kind, this.endpoint);
    return this.engineContext;
  }

  require(needed: Iterable<Capability>): void {
    assertCapabilities(this.kind, this.capabilities, needed);
  }

  async ping(options?: CallOptions): Promise<void> {
    await this.engine.call("ping", () => signalAware(this.docker).ping(signalOption(options)));
  }

  abstract info(options?: CallOptions): Promise<RuntimeInfo>;

  inspectImage(ref: string, options?: CallOptions): Promise<ImageInfo> {
    validate(idSchema, ref, "ref");
    return inspectEngineImage(this.engine, ref, options?.signal);
  }

  async hasImage(ref: string, options?: CallOptions): Promise<boolean> {
    try {
      await this.inspectImage(ref, options);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === "not_found") return false;
      throw error;
    }
  }

  pullImage(ref: string, options: PullOptions = {}): Promise<ImageInfo> {
    validate(idSchema, ref, "ref");
    return pullEngineImage(this.engine, ref, options);
  }

  buildImage(options: BuildOptions): Promise<ImageInfo> {
    validate(idSchema, options.tag, "tag");
    return buildEngineImage(this.engine, {
      ...options,
      labels:
        options.sessionLabels === false ? options.labels : withSessionLabels(options.labels, this.sessionId),
    });
  }

  loadImage(options: LoadOptions): Promise<string[]> {
    return loadEngineImage(this.engine, options);
  }

  saveImage(ref: string, options: SaveOptions = {}): Promise<Readable> {
    validate(idSchema, ref, "ref");
    return saveEngineImage(this.engine, ref, options);
  }

  async tagImage(ref: string, target: string, options?: CallOptions): Promise<void> {
    validate(idSchema, ref, "ref");
    parseImageReference(target, { field: "target", tagOnly: true });
    await tagEngineImage(this.engine, ref, target, options?.signal);
  }

  async removeImage(ref: string, options?: RemoveOptions): Promise<void> {
    validate(idSchema, ref, "ref");
    await this.engine.call(`remove image ${ref}`, () =>
      this.docker.getImage(ref).remove({ force: options?.force ?? false, ...signalOption(options) }),
    );
  }

  async createContainer(spec: ContainerSpec, options?: CallOptions): Promise<{ id: string; name: string }> {
    validate(containerSpecSchema, spec, "spec");
    assertCapabilities(this.kind, this.capabilities, capabilitiesForSpec(spec), "container spec");
    const labels = withSessionLabels(spec.labels, this.sessionId);
    const what = `create container${spec.name === undefined ? "" : ` ${spec.name}`} from ${spec.image}`;
    const container = await this.engine.call(what, () =>
      this.docker.createContainer({
        ...engineCreateBody(spec, labels, this.kind === "podman" ? "podman" : "docker"),
        ...signalOption(options),
      }),
    );
    const name = spec.name ?? (await this.inspectContainer(container.id, options)).name;
    return { id: container.id, name };
  }

  async startContainer(id: string, options?: CallOptions): Promise<void> {
    validate(idSchema, id, "id");
    try {
      await this.docker.getContainer(id).start(signalOption(options));
    } catch (error) {
      if (hasStatus(error, 304)) return; // already running: starting is idempotent
      throw this.engine.error(error, `start container ${id}`);
    }
  }

  async stopContainer(id: string, options?: StopOptions): Promise<void> {
    validate(idSchema, id, "id");
    try {
      await this.docker.getContainer(id).stop({
        ...(options?.timeoutSeconds === undefined ? {} : { t: options.timeoutSeconds }),
        ...signalOption(options),
      });
    } catch (error) {
      if (hasStatus(error, 304)) return; // already stopped
      throw this.engine.error(error, `stop container ${id}`);
    }
  }

  async killContainer(id: string, options?: KillOptions): Promise<void> {
    validate(idSchema, id, "id");
    await this.engine.call(`kill container ${id}`, () =>
      this.docker
        .getContainer(id)
        .kill({ signal: options?.killSignal ?? "SIGKILL", ...signalOption(options) }),
    );
  }

  async removeContainer(id: string, options?: RemoveOptions): Promise<void> {
    validate(idSchema, id, "id");
    await this.engine.call(`remove container ${id}`, () =>
      this.docker
        .getContainer(id)
        .remove({ force: options?.force ?? false, v: true, ...signalOption(options) }),
    );
  }

  async inspectContainer(id: string, options?: CallOptions): Promise<ContainerInfo> {
    validate(idSchema, id, "id");
    return toContainerInfo(
      await this.engine.call(`inspect container ${id}`, () =>
        this.docker.getContainer(id).inspect(signalOption(options)),
      ),
    );
  }

  // The list calls filter by label on the engine's side and again here: Podman 4 ORs several label
  // filters on volumes where Docker ANDs them, and a list must never return another session's objects.
  async listContainers(options?: ListOptions): Promise<ContainerSummary[]> {
    const list = await this.engine.call("list containers", () =>
      this.docker.listContainers({
        all: true,
        filters: { label: labelFilter(options?.labels) },
        ...signalOption(options),
      }),
    );
    return list.map(toContainerSummary).filter((c) => matchesLabels(c.labels, options?.labels));
  }

  async waitContainer(id: string, options?: CallOptions): Promise<number> {
    validate(idSchema, id, "id");
    const result = (await this.engine.call(`wait for container ${id}`, () =>
      this.docker.getContainer(id).wait(signalOption(options)),
    )) as { StatusCode: number };
    return result.StatusCode;
  }

  logs(id: string, options: LogOptions = {}): AsyncIterable<LogLine> {
    validate(idSchema, id, "id");
    validate(logOptionsSchema, options, "options");
    assertCapabilities(this.kind, this.capabilities, capabilitiesForLogs(options), "logs call");
    return engineLogLines(this.engine, id, options, (opts) => this.openLogStream(id, opts));
  }

  /** Opens the engine's log stream for `logs`; Podman uses libpod's. */
  protected async openLogStream(
    id: string,
    options: LogOptions,
  ): Promise<{ stream: Readable | Buffer; framed: boolean }> {
    const container = this.docker.getContainer(id);
    // Compat logs are framed unless the container has a TTY, which only inspect tells.
    const tty = (await container.inspect(signalOption(options))).Config.Tty;
    const common = {
      stdout: options.stdout ?? true,
      stderr: options.stderr ?? true,
      timestamps: options.timestamps ?? false,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.since === undefined ? {} : { since: options.since.getTime() / 1000 }),
      ...signalOption(options),
    };
    const stream = options.follow
      ? await container.logs({ ...common, follow: true })
      : await container.logs({ ...common, follow: false });
    return { stream: stream as Readable | Buffer, framed: !tty };
  }

  exec(id: string, spec: ExecSpec): Promise<ExecProcess> {
    validate(idSchema, id, "id");
    validate(execSpecSchema, spec, "spec");
    if (spec.tty) assertCapabilities(this.kind, this.capabilities, ["tty"], "exec");
    return startEngineExec(this.engine, id, spec);
  }

  async putArchive(id: string, options: PutArchiveOptions): Promise<void> {
    validate(idSchema, id, "id");
    checkArchivePath(options.path);
    await putEngineArchive(this.engine, id, options);
  }

  async getArchive(id: string, options: GetArchiveOptions): Promise<ArchiveStream> {
    validate(idSchema, id, "id");
    checkArchivePath(options.path);
    return getEngineArchive(this.engine, id, options);
  }

  async statArchive(id: string, options: GetArchiveOptions): Promise<ArchivePathStat> {
    validate(idSchema, id, "id");
    checkArchivePath(options.path);
    return statEngineArchive(this.engine, id, options);
  }

  async archiveView(id: string, options?: CallOptions): Promise<ArchiveView> {
    validate(idSchema, id, "id");
    const inspect = await this.engine.call(`inspect container ${id}`, () =>
      this.docker.getContainer(id).inspect(signalOption(options)),
    );
    return engineArchiveView(this.kind, inspect);
  }

  async createNetwork(spec: NetworkSpec, options?: CallOptions): Promise<NetworkInfo> {
    validate(networkSpecSchema, spec, "spec");
    if (spec.internal)
      assertCapabilities(this.kind, this.capabilities, ["internal-networks"], "network spec");
    const labels = withSessionLabels(spec.labels, this.sessionId);
    await this.createEngineNetwork(spec, labels, options);
    const made = (await this.listNetworks({ labels, ...signalOption(options) })).find(
      (n) => n.name === spec.name,
    );
    return made ?? { id: spec.name, name: spec.name, internal: spec.internal ?? false, labels };
  }

  /** Makes the network; `labels` already hold the session's. */
  protected async createEngineNetwork(
    spec: NetworkSpec,
    labels: Record<string, string>,
    options?: CallOptions,
  ): Promise<void> {
    await this.engine.call(`create network ${spec.name}`, () =>
      this.docker.createNetwork({
        Name: spec.name,
        Internal: spec.internal ?? false,
        Labels: labels,
        CheckDuplicate: true,
        ...(spec.bridgeName === undefined ? {} : { Options: { [BRIDGE_NAME_OPTION]: spec.bridgeName } }),
        ...signalOption(options),
      }),
    );
  }

  async removeNetwork(idOrName: string, options?: CallOptions): Promise<void> {
    validate(idSchema, idOrName, "idOrName");
    await this.engine.call(`remove network ${idOrName}`, () =>
      this.docker.getNetwork(idOrName).remove(signalOption(options)),
    );
  }

  async listNetworks(options?: ListOptions): Promise<NetworkInfo[]> {
    const list = await this.engine.call("list networks", () =>
      this.docker.listNetworks({
        filters: { label: labelFilter(options?.labels) },
        ...signalOption(options),
      }),
    );
    return list.map(engineNetworkInfo).filter((n) => matchesLabels(n.labels, options?.labels));
  }

  async createVolume(spec: VolumeSpec, options?: CallOptions): Promise<VolumeInfo> {
    validate(volumeSpecSchema, spec, "spec");
    const labels = withSessionLabels(spec.labels, this.sessionId);
    await this.engine.call(`create volume ${spec.name}`, () =>
      this.docker.createVolume({ Name: spec.name, Labels: labels, ...signalOption(options) }),
    );
    return { name: spec.name, labels };
  }

  async removeVolume(name: string, options?: RemoveOptions): Promise<void> {
    validate(idSchema, name, "name");
    await this.engine.call(`remove volume ${name}`, () =>
      this.docker.getVolume(name).remove({ force: options?.force ?? false, ...signalOption(options) }),
    );
  }

  async listVolumes(options?: ListOptions): Promise<VolumeInfo[]> {
    const result = await this.engine.call("list volumes", () =>
      this.docker.listVolumes({ filters: { label: labelFilter(options?.labels) }, ...signalOption(options) }),
    );
    return (result.Volumes ?? [])
      .map((v) => ({ name: v.Name, labels: v.Labels ?? {} }))
      .filter((v) => matchesLabels(v.labels, options?.labels));
  }

  watchContainers(options: WatchOptions = {}): AsyncIterable<ContainerEvent> {
    return engineContainerEvents(this.engine, options);
  }

  async reap(options?: ReapOptions): Promise<ReapResult> {
    options?.signal?.throwIfAborted();
    return this.engine.call("reap session", () =>
      reapSession({ kind: "engine", endpoint: this.engineEndpoint }, options?.sessionId ?? this.sessionId),
    );
  }

  async reapOnExit(): Promise<void> {
    this.reaper ??= startReaper({ kind: "engine", endpoint: this.engineEndpoint }, this.sessionId);
    await this.reaper;
  }

  async close(): Promise<void> {
    // dockerode holds no pooled connections of its own; the watchdog's event stream goes once the
    // streams still open end. The reaper, if started, keeps watching: it is meant to outlive this.
    this.engineContext?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The Docker network option naming a bridge network's Linux bridge. */
const BRIDGE_NAME_OPTION = "com.docker.network.bridge.name";

/** A network as the Docker API lists it; a bridge network's bridge is `br-<id prefix>` unless named. */
function engineNetworkInfo(network: Docker.NetworkInspectInfo): NetworkInfo {
  const ipv4 = (network.IPAM?.Config ?? []).find((c) => c.Subnet !== undefined && !c.Subnet.includes(":"));
  const bridge =
    network.Driver !== "bridge"
      ? undefined
      : (network.Options?.[BRIDGE_NAME_OPTION] ??
        (network.Name === "bridge" ? "docker0" : `br-${network.Id.slice(0, 12)}`));
  return {
    id: network.Id,
    name: network.Name,
    internal: network.Internal ?? false,
    labels: network.Labels ?? {},
    ...(ipv4?.Subnet === undefined ? {} : { subnet: ipv4.Subnet }),
    // Podman's compat API writes a missing gateway as "<nil>".
    ...(ipv4?.Gateway === undefined || ipv4.Gateway === "" || ipv4.Gateway === "<nil>"
      ? {}
      : { gateway: ipv4.Gateway }),
    ...(bridge === undefined ? {} : { bridge }),
  };
}
