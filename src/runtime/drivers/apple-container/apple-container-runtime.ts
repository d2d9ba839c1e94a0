import { Readable } from "node:stream";
import { CanceledError, CapabilityError, ContainerRuntimeError, NotFoundError } from "../../../errors.js";
import { sleep } from "../../../timing/sleep.js";
import { validate } from "../../../validation/validate.js";
import type {
  ArchivePathStat,
  ArchiveStream,
  ArchiveView,
  GetArchiveOptions,
  PutArchiveOptions,
} from "../../archive-types.js";
import {
  type Capability,
  capabilitiesForLogs,
  capabilitiesForNetwork,
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
import type { ContainerEvent, WatchOptions } from "../../event-types.js";
import type { ExecProcess, ExecSpec } from "../../exec-types.js";
import { parseImageReference } from "../../image-reference.js";
import type { BuildOptions, ImageInfo, LoadOptions, PullOptions, SaveOptions } from "../../image-types.js";
import { matchesLabels, newSessionId, sessionLabels, withSessionLabels } from "../../labels.js";
import type { LogLine, LogOptions } from "../../log-types.js";
import type { NetworkInfo, NetworkSpec, VolumeInfo, VolumeSpec } from "../../network-types.js";
import { NodeCommandRunner } from "../../process/node-command-runner.js";
import { type ReaperHandle, startReaper } from "../../reaper/start-reaper.js";
import type { CallOptions, RuntimeInfo } from "../../runtime-info.js";
import {
  containerSpecSchema,
  execSpecSchema,
  idSchema,
  logOptionsSchema,
  networkSpecSchema,
  volumeSpecSchema,
} from "../../validation/runtime-schemas.js";
import {
  APPLE_CONTAINER_CAPABILITIES,
  type AppleContainerRuntimeOptions,
} from "./apple-container-options.js";
import {
  checkPositional,
  checkSpec,
  createArgs,
  execArgs,
  type PickHostPort,
  resolvePorts,
} from "./cli-args.js";
import { CliContext } from "./cli-context.js";
import { KIND } from "./cli-errors.js";
import { cliExecProcess } from "./cli-exec.js";
import { buildCliImage, inspectCliImage, listCliImages, pullCliImage } from "./cli-images.js";
import { cliLogLines } from "./cli-logs.js";
import {
  createCliNetwork,
  createCliVolume,
  lastLine,
  listCliNetworks,
  listCliVolumes,
} from "./cli-networks.js";
import { reapCliSession } from "./cli-reap.js";
import { readSystemStatus, readSystemStatusText } from "./cli-system.js";
import {
  type AppleHost,
  appleContainerCapabilities,
  assertAppleCapabilities,
  hostDarwinRelease,
  JSON_STATUS_VERSION,
  macOSFromDarwin,
  olderThan,
  requireSupportedCli,
} from "./cli-version.js";
import { parseContainerList, toContainerSummary } from "./container-json.js";
import { pollContainerEvents } from "./container-watch.js";
import { pickFreePort } from "./free-port.js";
import { parseVersion } from "./resource-json.js";

export { APPLE_CONTAINER_CAPABILITIES, type AppleContainerRuntimeOptions };

const isUp = (info: ContainerInfo) => info.state === "running" || info.state === "stopping";

/** `-n` for "every line": the CLI reads the count as a Swift Int. */
const ALL_LINES = 2_147_483_647;

/** The architecture as OCI names it (`arm64`, `amd64`). */
function hostArch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

function canceled(what: string, signal: AbortSignal): CanceledError {
  return new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal.reason });
}

/** An image id as `inspectImage` gives it: the digest of the image's index or manifest. */
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/**
 * The ContainerRuntime contract over Apple's `container` CLI (macOS 26, Apple silicon), which has no
 * socket or Docker API: every call runs the CLI, with `--format json` where it has one, and reads
 * both JSON generations (before and from 1.0). Each container is a lightweight VM.
 *
 * Differences a caller may notice:
 * - `resources.cpus` is rounded up to whole vCPUs; memory is whole MiB.
 * - a published port without a host port gets a free one picked by the driver (the CLI cannot).
 * - `watchContainers` polls `container list` every `pollIntervalMs` and diffs the states into
 *   `create`/`start`/`die`/`destroy` events; changes faster than one poll are merged.
 * - `waitContainer` polls too, returns once the container is not running (a never-started one
 *   included), and throws a CapabilityError (`exit-codes`) when the CLI does not report the exit
 *   code (no release documented at the time of writing does); `inspectContainer` gives no exit code
 *   or finish time, and `die` events no exit code.
 * - `logs` reports every line as `stdout` (the CLI keeps one log), and cannot select a stream.
 * - `exec` ignores `terminalSize` (the CLI sizes a terminal from its own) and cannot `resize`; an
 *   exec with both `tty` and `stdin` is refused (`interactive-tty`).
 * - `createNetwork` refuses `bridgeName` (`network-bridge-name`): a network is a vmnet network, with
 *   no Linux bridge on the host to name.
 * - container names are ids: `name` sets the id, at most 63 characters.
 */

export class AppleContainerRuntime implements ContainerRuntime {
  readonly kind = KIND;
  readonly endpoint = "container CLI";
  readonly sessionId: string;
  readonly sessionLabels: Readonly<Record<string, string>>;
  /** The CLI this runtime runs. */
  readonly command: string;
  private readonly cli: CliContext;
  private readonly pollIntervalMs: number;
  private readonly pickHostPort: PickHostPort;
  private reaper: Promise<ReaperHandle> | undefined;
  private readonly darwinRelease: string | undefined;
  /** The CLI and macOS `connect()` found; undefined for a runtime made with `new`. */
  private host: AppleHost | undefined;
  private supported: ReadonlySet<Capability> = APPLE_CONTAINER_CAPABILITIES;

  constructor(options: AppleContainerRuntimeOptions = {}) {
    this.command = options.command ?? "container";
    this.sessionId = options.sessionId ?? newSessionId();
    this.sessionLabels = sessionLabels(this.sessionId);
    this.cli = new CliContext(
      this.command,
      options.runner ?? new NodeCommandRunner(),
      options.commandTimeoutMs ?? 120_000,
    );
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.pickHostPort = options.pickHostPort ?? pickFreePort;
    this.darwinRelease = "darwinRelease" in options ? options.darwinRelease : hostDarwinRelease();
  }

  /**
   * What this runtime can do: after `connect()`, what the CLI found offers on this macOS (see
   * APPLE_CONTAINER_CAPABILITIES for the versions); before, APPLE_CONTAINER_CAPABILITIES.
   */
  get capabilities(): ReadonlySet<Capability> {
    return this.supported;
  }

  /** The CLI version `connect()` read (`1.1.0`); undefined for a runtime made with `new`. */
  get cliVersion(): string | undefined {
    return this.host?.cli;
  }

  /**
   * A runtime whose system service answers, with the capabilities of the CLI version found
   * (`container --version`) on this macOS. Fails with a ContainerRuntimeError that says to upgrade
   * when the CLI is older than MIN_CLI_VERSION, with one that says to run `container system start`
   * when the service is not running, and with a RuntimeNotFoundError when there is no `container`
   * command.
   */
  static async connect(options: AppleContainerRuntimeOptions = {}): Promise<AppleContainerRuntime> {
    const runtime = new AppleContainerRuntime(options);
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const { stdout } = await runtime.cli.run(["--version"], signal);
    const version = parseVersion(stdout);
    requireSupportedCli(version);
    runtime.host = { cli: version, macOS: macOSFromDarwin(runtime.darwinRelease) };
    runtime.supported = appleContainerCapabilities(runtime.host);
    await runtime.ping(signal);
    return runtime;
  }

  require(needed: Iterable<Capability>): void {
    this.assertSupported(needed);
  }

  async ping(options?: CallOptions): Promise<void> {
    await this.systemStatus(options?.signal);
  }

  /** CLIs before 0.10.0 have no `system status --format json`. */
  private systemStatus(signal: AbortSignal | undefined) {
    return this.host !== undefined && olderThan(this.host.cli, JSON_STATUS_VERSION)
      ? readSystemStatusText(this.cli, signal)
      : readSystemStatus(this.cli, signal);
  }

  /** A CapabilityError for what is missing, naming the CLI (and macOS) version that brings it. */
  private assertSupported(needed: Iterable<Capability>, what?: string): void {
    assertAppleCapabilities(this.host, this.supported, needed, what);
  }

  /** CLI version from `container --version`; the Linux guests' OS and the host's architecture. */
  async info(options?: CallOptions): Promise<RuntimeInfo> {
    const status = await this.systemStatus(options?.signal);
    const { stdout } = await this.cli.run(["--version"], { signal: options?.signal });
    return {
      kind: KIND,
      version: parseVersion(stdout),
      os: "linux",
      arch: status.host?.architecture ?? hostArch(),
      rootless: false,
    };
  }

  inspectImage(ref: string, options?: CallOptions): Promise<ImageInfo> {
    validate(idSchema, ref, "ref");
    return inspectCliImage(this.cli, ref, hostArch(), options?.signal);
  }

  async hasImage(ref: string, options?: CallOptions): Promise<boolean> {
    try {
      await this.inspectImage(ref, options);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /** Every local image (not part of the ContainerRuntime contract). */
  listImages(options?: CallOptions): Promise<ImageInfo[]> {
    return listCliImages(this.cli, hostArch(), options?.signal);
  }

  pullImage(ref: string, options: PullOptions = {}): Promise<ImageInfo> {
    validate(idSchema, ref, "ref");
    return pullCliImage(this.cli, ref, hostArch(), options);
  }

  buildImage(options: BuildOptions): Promise<ImageInfo> {
    validate(idSchema, options.tag, "tag");
    this.assertSupported(["build"], "build");
    const labels =
      options.sessionLabels === false
        ? (options.labels ?? {})
        : withSessionLabels(options.labels, this.sessionId);
    return buildCliImage(this.cli, options, labels, hostArch());
  }

  async loadImage(_options: LoadOptions): Promise<string[]> {
    this.assertSupported(["image-load"], "image load");
    return [];
  }

  async saveImage(ref: string, _options?: SaveOptions): Promise<Readable> {
    validate(idSchema, ref, "ref");
    this.assertSupported(["image-save"], "image save");
    return Readable.from([]);
  }

  /** The `container` CLI has no `cp` (nor an archive API): always a CapabilityError naming archive-copy. */
  async putArchive(id: string, _options: PutArchiveOptions): Promise<void> {
    validate(idSchema, id, "id");
    this.assertSupported(["archive-copy"], "archive copy");
  }

  /** Always a CapabilityError naming archive-copy (see putArchive). */
  async getArchive(id: string, _options: GetArchiveOptions): Promise<ArchiveStream> {
    validate(idSchema, id, "id");
    this.assertSupported(["archive-copy"], "archive copy");
    return Readable.from([]);
  }

  /** Always a CapabilityError naming archive-copy (see putArchive). */
  async statArchive(id: string, _options: GetArchiveOptions): Promise<ArchivePathStat> {
    validate(idSchema, id, "id");
    this.assertSupported(["archive-copy"], "archive copy");
    throw new Error("unreachable: assertSupported throws");
  }

  /** Always a CapabilityError naming archive-copy (see putArchive). */
  async archiveView(id: string, _options?: CallOptions): Promise<ArchiveView> {
    validate(idSchema, id, "id");
    this.assertSupported(["archive-copy"], "archive copy");
    return { reads: () => false, writes: () => false, readsTree: () => false };
  }

  /** `container image tag REF TARGET`. */
  async tagImage(ref: string, target: string, options?: CallOptions): Promise<void> {
    validate(idSchema, ref, "ref");
    parseImageReference(target, { field: "target", tagOnly: true });
    checkPositional(ref, "ref");
    await this.cli.run(["image", "tag", ref, target], options);
  }

  /** `force` also succeeds when the image is already gone. */
  async removeImage(ref: string, options?: RemoveOptions): Promise<void> {
    validate(idSchema, ref, "ref");
    checkPositional(ref, "ref");
    await this.ignoreMissing(options?.force ?? false, () => this.cli.run(["image", "delete", ref], options));
  }

  async createContainer(spec: ContainerSpec, options?: CallOptions): Promise<{ id: string; name: string }> {
    validate(containerSpecSchema, spec, "spec");
    this.assertSupported(capabilitiesForSpec(spec), "container spec");
    const labels = withSessionLabels(spec.labels, this.sessionId);
    checkSpec(spec, labels);
    if (options?.signal?.aborted) throw canceled("create container", options.signal);
    const ports = await resolvePorts(spec, this.pickHostPort);
    const image = await this.imageByReference(spec.image, options?.signal);
    const { stdout } = await this.cli.run(createArgs({ ...spec, image }, labels, ports), options);
    // The CLI prints the new container's id (its name when one was given).
    const id = lastLine(stdout) ?? spec.name;
    if (id === undefined) {
      throw new ContainerRuntimeError("`container create` succeeded but printed no container id", {
        runtime: KIND,
      });
    }
    return { id, name: id };
  }

  /**
   * The CLI finds images by reference only, where Docker and Podman also take the id `inspectImage`
   * gave (`sha256:<digest>`, which pins the content): such an id becomes the reference of the image
   * that has it. An id no image has is passed on, for the CLI's own "not found".
   */
  private async imageByReference(image: string, signal: AbortSignal | undefined): Promise<string> {
    if (!IMAGE_ID.test(image)) return image;
    const images = await this.listImages(signal === undefined ? {} : { signal });
    return images.find((candidate) => candidate.id === image)?.tags[0] ?? image;
  }

  /** Idempotent: starting a running container succeeds, whatever the CLI says about it. */
  async startContainer(id: string, options?: CallOptions): Promise<void> {
    this.checkId(id);
    await this.unlessAlready(id, options, isUp, () => this.cli.run(["start", id], options));
  }

  /**
   * Idempotent: stopping a stopped container succeeds. Without `timeoutSeconds`, the CLI's own
   * default applies (5 s before SIGKILL).
   */
  async stopContainer(id: string, options?: StopOptions): Promise<void> {
    this.checkId(id);
    const wait =
      options?.timeoutSeconds === undefined
        ? []
        : ["-t", String(Math.max(0, Math.round(options.timeoutSeconds)))];
    await this.unlessAlready(
      id,
      options,
      (info) => !isUp(info),
      () => this.cli.run(["stop", ...wait, id], options),
    );
  }

  /** `container kill --signal SIG ID`; SIGKILL when no signal is given. */
  async killContainer(id: string, options?: KillOptions): Promise<void> {
    this.checkId(id);
    const signal = options?.killSignal ?? "KILL";
    checkPositional(signal, "killSignal");
    await this.cli.run(["kill", "--signal", signal, id], options);
  }

  async removeContainer(id: string, options?: RemoveOptions): Promise<void> {
    this.checkId(id);
    await this.cli.run(["delete", ...(options?.force ? ["--force"] : []), id], options);
  }

  /**
   * From `container list --all --format json`, the one listing that prints the same JSON in every
   * CLI version (its records are what `container inspect` prints too).
   */
  async inspectContainer(id: string, options?: CallOptions): Promise<ContainerInfo> {
    this.checkId(id);
    const found = (await this.listAll(options?.signal)).find((container) => container.id === id);
    if (found === undefined)
      throw new NotFoundError(`container ${id} does not exist (not in \`container list --all\`)`);
    return found;
  }

  /** Every container, filtered by label here: the CLI has no `--filter`. */
  async listContainers(options?: ListOptions): Promise<ContainerSummary[]> {
    const all = await this.listAll(options?.signal);
    return all
      .filter((container) => matchesLabels(container.labels, options?.labels))
      .map(toContainerSummary);
  }

  private async listAll(signal: AbortSignal | undefined): Promise<ContainerInfo[]> {
    const args = ["list", "--all", "--format", "json"];
    const { stdout } = await this.cli.run(args, { signal });
    return parseContainerList(stdout, this.cli.describe(args));
  }

  /**
   * Polls until the container is not running. Resolves with the exit code when the CLI reports
   * one; throws a CapabilityError (missing `exit-codes`) saying so when it does not.
   */
  async waitContainer(id: string, options?: CallOptions): Promise<number> {
    this.checkId(id);
    const signal = options?.signal;
    const what = `wait for container ${id}`;
    for (;;) {
      if (signal?.aborted) throw canceled(what, signal);
      const info = await this.inspectContainer(id, options);
      if (!isUp(info)) {
        if (info.exitCode !== null) return info.exitCode;
        throw new CapabilityError(
          `${what}: it is ${info.state}, but this version of the container CLI does not report exit codes. ` +
            "Read its logs to see how it ended, or choose a runtime that reports them (OPENSHELL_RUNTIME=docker or podman)",
          { runtime: KIND, missing: ["exit-codes"] },
        );
      }
      await sleep(this.pollIntervalMs, signal);
    }
  }

  logs(id: string, options: LogOptions = {}): AsyncIterable<LogLine> {
    this.checkId(id);
    validate(logOptionsSchema, options, "options");
    this.assertSupported(capabilitiesForLogs(options), "logs call");
    // One stream alone needs log-stream-selection, refused above; what is left is both or neither.
    return this.logLines(id, options, options.stdout ?? true);
  }

  private async *logLines(id: string, options: LogOptions, wanted: boolean): AsyncGenerator<LogLine> {
    const signal = options.signal;
    if (signal?.aborted) throw canceled(`logs of container ${id}`, signal);
    if (!wanted) return;
    const tail = options.tail === undefined ? [] : ["-n", String(options.tail)];
    let lines = 0;
    for await (const line of this.logCommand(id, options, tail)) {
      lines += 1;
      yield line;
    }
    // `container logs -f` without -n prints nothing and exits 0 at once while the log is empty
    // (ContainerLogs.swift, 0.5.0-1.2.2: `readToEnd()` gives nil for a zero-byte read and `tail`
    // returns before following). With -n it follows an empty log too; the log was empty a moment
    // ago, so reading all of it is cheap.
    if (options.follow && tail.length === 0 && lines === 0 && !signal?.aborted) {
      const running = await this.inspectContainer(id, { signal }).then(isUp, () => false);
      if (running) yield* this.logCommand(id, options, ["-n", String(ALL_LINES)]);
    }
  }

  /** One `container logs [-f] [-n N] ID` as lines. */
  private logCommand(id: string, options: LogOptions, tail: string[]): AsyncGenerator<LogLine> {
    const args = ["logs", ...(options.follow ? ["-f"] : []), ...tail, id];
    const child = this.cli.spawn(args);
    return cliLogLines({
      child,
      containerId: id,
      follow: options.follow ?? false,
      signal: options.signal,
      pollIntervalMs: this.pollIntervalMs,
      isRunning: async (pollSignal) => isUp(await this.inspectContainer(id, { signal: pollSignal })),
      failure: (exitCode, output) => this.cli.failure(args, exitCode, output),
      spawnError: (error) => this.cli.spawnError(args, error),
      closedError: () => this.cli.closedError(child, `logs of container ${id}`),
    });
  }

  /** Checks that the container runs (the CLI's own error would arrive as the command's output). */
  async exec(id: string, spec: ExecSpec): Promise<ExecProcess> {
    this.checkId(id);
    validate(execSpecSchema, spec, "spec");
    if (spec.tty) this.assertSupported(["tty"], "exec");
    if (spec.tty && spec.stdin) {
      // `exec -i -t` makes the CLI's own stdin its terminal (Terminal(descriptor: STDIN_FILENO) in
      // every release to 1.2.2), and the driver's stdin is a pipe: the CLI would fail with ENOTTY.
      throw new CapabilityError(
        "the apple-container runtime cannot run an exec with both tty and stdin: its CLI needs a terminal " +
          "of its own for that, and here its stdin is a pipe. Run the command with tty and no stdin, or with " +
          "stdin and no tty",
        { runtime: KIND, missing: ["interactive-tty"] },
      );
    }
    const what = `exec in container ${id}`;
    if (spec.signal?.aborted) throw canceled(what, spec.signal);
    const info = await this.inspectContainer(id, spec.signal === undefined ? {} : { signal: spec.signal });
    if (!info.running) {
      throw new ContainerRuntimeError(
        `${what}: the container is ${info.state}, not running; start it first`,
        {
          runtime: KIND,
        },
      );
    }
    const args = execArgs(id, spec);
    const child = this.cli.spawn(args);
    return cliExecProcess({
      child,
      containerId: id,
      spec,
      containerRunning: async () => (await this.inspectContainer(id)).running,
      spawnError: (error) => this.cli.spawnError(args, error),
      closedError: () => this.cli.closedError(child, what),
    });
  }

  async createNetwork(spec: NetworkSpec, options?: CallOptions): Promise<NetworkInfo> {
    validate(networkSpecSchema, spec, "spec");
    this.assertSupported(capabilitiesForNetwork(spec), "network spec");
    return createCliNetwork(this.cli, spec, withSessionLabels(spec.labels, this.sessionId), options);
  }

  async removeNetwork(idOrName: string, options?: CallOptions): Promise<void> {
    this.checkId(idOrName, "idOrName");
    await this.cli.run(["network", "delete", idOrName], options);
  }

  /** Every network, filtered by label here. */
  async listNetworks(options?: ListOptions): Promise<NetworkInfo[]> {
    return (await listCliNetworks(this.cli, options)).filter((n) => matchesLabels(n.labels, options?.labels));
  }

  async createVolume(spec: VolumeSpec, options?: CallOptions): Promise<VolumeInfo> {
    validate(volumeSpecSchema, spec, "spec");
    return createCliVolume(this.cli, spec, withSessionLabels(spec.labels, this.sessionId), options);
  }

  /** `force` also succeeds when the volume is already gone (the CLI has no force of its own). */
  async removeVolume(name: string, options?: RemoveOptions): Promise<void> {
    this.checkId(name, "name");
    await this.ignoreMissing(options?.force ?? false, () =>
      this.cli.run(["volume", "delete", name], options),
    );
  }

  /** Every volume, filtered by label here. */
  async listVolumes(options?: ListOptions): Promise<VolumeInfo[]> {
    return (await listCliVolumes(this.cli, options)).filter((v) => matchesLabels(v.labels, options?.labels));
  }

  /** Polls `container list` (the CLI has no event stream); see the class notes. */
  watchContainers(options: WatchOptions = {}): AsyncIterable<ContainerEvent> {
    return pollContainerEvents({
      list: (signal) => this.listAll(signal),
      intervalMs: this.pollIntervalMs,
      labels: options.labels,
      signal: options.signal,
    });
  }

  /** Removes the session's containers, networks and volumes; see `reapCliSession`. */
  reap(options: ReapOptions = {}): Promise<ReapResult> {
    return reapCliSession(
      this.cli,
      options.sessionId ?? this.sessionId,
      (signal) => this.listAll(signal),
      options.signal,
    );
  }

  /** A detached watcher reaps this session with the same CLI once this process is gone. */
  async reapOnExit(): Promise<void> {
    this.reaper ??= startReaper({ kind: "cli", command: this.command }, this.sessionId);
    try {
      await this.reaper;
    } catch (error) {
      this.reaper = undefined;
      throw new ContainerRuntimeError(
        `could not start the reaper for session ${this.sessionId}: ${(error as Error).message}`,
        { runtime: KIND, cause: error },
      );
    }
  }

  /**
   * Kills the CLI processes of streams still open (followed logs, execs, pulls, builds). Removes
   * nothing (see `reap`); the reaper, if started, keeps watching.
   */
  async close(): Promise<void> {
    this.cli.killAll();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** An id goes to the CLI as a positional argument: one that starts with `-` would be an option. */
  private checkId(id: string, field = "id"): void {
    validate(idSchema, id, field);
    checkPositional(id, field);
  }

  /**
   * Runs a state change; when the CLI refuses it (not for a missing container), the change still
   * counts as done if the container is already in the state it was meant to reach.
   */
  private async unlessAlready(
    id: string,
    options: CallOptions | undefined,
    reached: (info: ContainerInfo) => boolean,
    run: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof ContainerRuntimeError)) throw error;
      const info = await this.inspectContainer(id, options).catch(() => undefined);
      if (info === undefined || !reached(info)) throw error;
    }
  }

  private async ignoreMissing(ignore: boolean, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (!(ignore && error instanceof NotFoundError)) throw error;
    }
  }
}
