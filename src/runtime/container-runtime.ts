import type {
  ArchivePathStat,
  ArchiveStream,
  ArchiveView,
  GetArchiveOptions,
  PutArchiveOptions,
} from "./archive-types.js";
import type { Capability } from "./capabilities.js";
import type { ContainerInfo, ContainerSummary } from "./container-info.js";
import type { ContainerSpec } from "./container-spec.js";
import type { ContainerEvent, WatchOptions } from "./event-types.js";
import type { ExecProcess, ExecSpec } from "./exec-types.js";
import type { BuildOptions, ImageInfo, LoadOptions, PullOptions, SaveOptions } from "./image-types.js";
import type { LogLine, LogOptions } from "./log-types.js";
import type { NetworkInfo, NetworkSpec, VolumeInfo, VolumeSpec } from "./network-types.js";
import type { CallOptions, RuntimeInfo, RuntimeKind } from "./runtime-info.js";

export interface ListOptions extends CallOptions {
  /** Only objects carrying every one of these labels. */
  labels?: Readonly<Record<string, string>>;
}

export interface StopOptions extends CallOptions {
  /** Seconds to wait after SIGTERM before SIGKILL; the engine's default (10) when absent. */
  timeoutSeconds?: number;
}

export interface KillOptions extends CallOptions {
  /** Signal name or number; SIGKILL when absent. */
  killSignal?: string;
}

export interface RemoveOptions extends CallOptions {
  /** Kill it first if it is running. */
  force?: boolean;
}

export interface ReapOptions extends CallOptions {
  /** Whose objects to remove: this runtime's session when absent. */
  sessionId?: string;
}

export interface ReapResult {
  containers: number;
  networks: number;
  volumes: number;
}

/**
 * One container engine, behind the same contract whatever it is. Everything a runtime creates
 * carries `sessionLabels`; `reap()` removes it all. Every method takes a signal; every stream ends
 * (or throws) when the container or the engine goes away.
 *
 * Errors: a missing object is a NotFoundError, a name already taken an AlreadyExistsError, an
 * option the runtime cannot honour a CapabilityError (thrown before anything is created), anything
 * else the engine refuses a ContainerRuntimeError with its status.
 */
export interface ContainerRuntime extends AsyncDisposable {
  readonly kind: RuntimeKind;
  /** Where the runtime is reached (`unix:///var/run/docker.sock`, `container CLI`); no secrets. */
  readonly endpoint: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** Labels put on everything this runtime creates. */
  readonly sessionId: string;
  readonly sessionLabels: Readonly<Record<string, string>>;

  /** Throws a CapabilityError naming every capability in `needed` this runtime lacks. */
  require(needed: Iterable<Capability>): void;

  ping(options?: CallOptions): Promise<void>;
  info(options?: CallOptions): Promise<RuntimeInfo>;

  /** NotFoundError when the image is not present locally. */
  inspectImage(ref: string, options?: CallOptions): Promise<ImageInfo>;
  hasImage(ref: string, options?: CallOptions): Promise<boolean>;
  /** Resolves once the image is present (the progress stream has been read to its end). */
  pullImage(ref: string, options?: PullOptions): Promise<ImageInfo>;
  buildImage(options: BuildOptions): Promise<ImageInfo>;
  /** Returns the names (or ids) of the images the archive held. */
  loadImage(options: LoadOptions): Promise<string[]>;
  /**
   * The image as a `docker save` archive (what `loadImage` takes), streamed as the engine writes
   * it, never held whole in memory. Resolves once the engine has answered: a missing image is a
   * NotFoundError here. Needs the `image-save` capability.
   */
  saveImage(ref: string, options?: SaveOptions): Promise<NodeJS.ReadableStream & AsyncIterable<Uint8Array>>;
  /** Gives the image `ref` another name (`target`, `name[:tag]`, `:latest` when it has no tag). */
  tagImage(ref: string, target: string, options?: CallOptions): Promise<void>;
  removeImage(ref: string, options?: RemoveOptions): Promise<void>;

  createContainer(spec: ContainerSpec, options?: CallOptions): Promise<{ id: string; name: string }>;
  startContainer(id: string, options?: CallOptions): Promise<void>;
  stopContainer(id: string, options?: StopOptions): Promise<void>;
  killContainer(id: string, options?: KillOptions): Promise<void>;
  removeContainer(id: string, options?: RemoveOptions): Promise<void>;
  inspectContainer(id: string, options?: CallOptions): Promise<ContainerInfo>;
  listContainers(options?: ListOptions): Promise<ContainerSummary[]>;
  /**
   * Waits for the container to stop; resolves with its exit code. A runtime without the `exit-codes`
   * capability throws a CapabilityError (missing `exit-codes`) once the container has stopped.
   */
  waitContainer(id: string, options?: CallOptions): Promise<number>;

  logs(id: string, options?: LogOptions): AsyncIterable<LogLine>;
  exec(id: string, spec: ExecSpec): Promise<ExecProcess>;

  /**
   * Unpacks a tar stream into a container directory through the engine's archive API (what
   * `docker cp` uses), keeping each entry's owner and mode. Needs the `archive-copy` capability;
   * `archiveView` says where the engine sees what the container sees (a tmpfs path on Docker is
   * answered with success and never appears in the container).
   */
  putArchive(id: string, options: PutArchiveOptions): Promise<void>;
  /**
   * A tar stream of a container path, streamed as the engine writes it; a missing path is a
   * NotFoundError once the engine answered. Needs `archive-copy`; see `archiveView`. Every chunk
   * is the caller's to keep, unless `reuseBuffers` asks for reused memory (GetArchiveOptions).
   */
  getArchive(id: string, options: GetArchiveOptions): Promise<ArchiveStream>;
  /**
   * What the engine's archive API sees at a container path (`HEAD /containers/{id}/archive`):
   * its type, size, permissions and mtime, without packing it, so a few milliseconds against tens
   * for a `getArchive` of the same empty file. NotFoundError when the engine sees nothing there.
   * Needs `archive-copy`; see `archiveView` for where the engine sees what the container sees.
   */
  statArchive(id: string, options: GetArchiveOptions): Promise<ArchivePathStat>;
  /** Where the archive calls see what the container sees, from its mounts and root. Needs `archive-copy`. */
  archiveView(id: string, options?: CallOptions): Promise<ArchiveView>;

  createNetwork(spec: NetworkSpec, options?: CallOptions): Promise<NetworkInfo>;
  removeNetwork(idOrName: string, options?: CallOptions): Promise<void>;
  listNetworks(options?: ListOptions): Promise<NetworkInfo[]>;
  createVolume(spec: VolumeSpec, options?: CallOptions): Promise<VolumeInfo>;
  removeVolume(name: string, options?: RemoveOptions): Promise<void>;
  listVolumes(options?: ListOptions): Promise<VolumeInfo[]>;

  /** Container events as they happen, for containers matching `labels`; ends when aborted. */
  watchContainers(options?: WatchOptions): AsyncIterable<ContainerEvent>;

  /** Removes every container, network and volume of a session (this one by default). */
  reap(options?: ReapOptions): Promise<ReapResult>;
  /**
   * Starts a small detached watcher that reaps this session when this process dies, however it
   * dies (SIGKILL included). Idempotent.
   */
  reapOnExit(): Promise<void>;
  /** Releases the runtime's connections. Does not remove anything (see `reap`). */
  close(): Promise<void>;
}
