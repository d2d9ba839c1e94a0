import { randomBytes } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import type Docker from "dockerode";
import type { VersionFacts } from "./cli-version-facts.js";

/** Marks everything the emulator makes in Docker, so close() removes exactly that. */
export const EMULATOR_LABEL = "openshell-test.emulator";
export const EMULATOR_VALUE = "apple-container";
/** Which emulator instance made it: each instance is its own "Mac" and sees only its own objects. */
export const INSTANCE_LABEL = "openshell-test.emulator.instance";
/** The Apple-side name (container id, network or volume name), which Docker knows by a prefixed name. */
export const NAME_LABEL = "openshell-test.emulator.name";
/** The Apple network names a container was attached to, comma-separated, in `--network` order. */
export const NETWORKS_LABEL = "openshell-test.emulator.networks";

/** Apple's built-in network, played by Docker's `bridge`. */
export const DEFAULT_NETWORK = "default";
export const DOCKER_DEFAULT_NETWORK = "bridge";

/** A failure the CLI reports: its stderr text (without the final newline) and exit code. */
export class CliFailure extends Error {
  constructor(
    readonly stderr: string,
    readonly exitCode = 1,
  ) {
    super(stderr);
  }
}

/** One command line being carried out: its streams, and a signal that fires when it is killed. */
export interface Invocation {
  args: string[];
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Aborted when the command is killed (or its run is canceled or timed out). */
  signal: AbortSignal;
}

/** A command's implementation: resolves with the exit code. Throws CliFailure for the CLI's errors. */
export type Handler = (context: EmulatorContext, invocation: Invocation) => Promise<number>;

/** What every command shares: the Docker client, the version's facts, and this instance's naming. */
export class EmulatorContext {
  readonly instance = randomBytes(4).toString("hex");
  /**
   * When each container was last started through the emulator (ms): its log starts there, as
   * Apple's runtime truncates the log file at every start.
   */
  readonly startedAt = new Map<string, number>();
  /** Image names this emulator made (pulled, tagged or built where Docker had none): close() removes them. */
  readonly madeImages = new Set<string>();

  constructor(
    readonly docker: Docker,
    readonly facts: VersionFacts,
  ) {}

  /** The Docker name of an Apple-side object (Docker names are global; Apple's are per Mac). */
  dockerName(appleName: string): string {
    return `ace-${this.instance}-${appleName}`;
  }

  /** The Docker network for an Apple network name. */
  dockerNetwork(appleName: string): string {
    return appleName === DEFAULT_NETWORK ? DOCKER_DEFAULT_NETWORK : this.dockerName(appleName);
  }

  /** The labels the emulator adds to what it creates, besides the caller's. */
  ownLabels(appleName: string): Record<string, string> {
    return { [EMULATOR_LABEL]: EMULATOR_VALUE, [INSTANCE_LABEL]: this.instance, [NAME_LABEL]: appleName };
  }

  /** The Docker label filter for this instance's objects. */
  get instanceFilter(): string {
    return `${INSTANCE_LABEL}=${this.instance}`;
  }
}

/** The caller's labels: Docker's minus the emulator's own. */
export function callerLabels(labels: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels ?? {}).filter(([key]) => !key.startsWith(`${EMULATOR_LABEL}`)),
  );
}

/**
 * A ContainerizationError as the CLI prints it: `Error: <code>: "<message>"`, the message escaped as
 * a Swift string literal (so errors nested in it show `\"` and `\\\"`; see stderr-image-not-found.txt).
 */
export function containerizationError(code: string, message: string): CliFailure {
  return new CliFailure(`Error: ${code}: "${message.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
}

/** Swift's description of an array of strings: `["a", "b"]`. */
export function swiftList(items: readonly string[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(", ")}]`;
}

/** The HTTP status of a dockerode error, if it has one. */
export function dockerStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** Docker's own message in a dockerode error. */
export function dockerMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === "string") return json.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * An image reference as the CLI records it: Docker Hub's host and `library/` made explicit, and
 * `:latest` when there is neither tag nor digest (`openshell-test/busybox:1` is
 * `docker.io/openshell-test/busybox:1`).
 */
export function normalizeReference(ref: string): string {
  const slash = ref.indexOf("/");
  const first = slash === -1 ? "" : ref.slice(0, slash);
  const hasHost = slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost");
  let full = hasHost ? ref : slash === -1 ? `docker.io/library/${ref}` : `docker.io/${ref}`;
  const lastPart = full.slice(full.lastIndexOf("/") + 1);
  if (!lastPart.includes(":") && !full.includes("@")) full = `${full}:latest`;
  return full;
}
