import { CapabilityError } from "../errors.js";
import type { ContainerSpec } from "./container-spec.js";
import type { LogOptions } from "./log-types.js";
import type { NetworkSpec } from "./network-types.js";

/** Things a runtime may or may not be able to do. Each driver declares the set it supports. */
export const CAPABILITIES = [
  "port-publishing",
  "container-address",
  "volumes",
  "bind-mounts",
  "tmpfs",
  "exec",
  "tty",
  "interactive-tty",
  "exec-resize",
  "exit-codes",
  "networks",
  "internal-networks",
  "network-bridge-name",
  "cap-add-drop",
  "privileged",
  "read-only-root",
  "no-new-privileges",
  "resource-limits",
  "pids-limit",
  "gpus",
  "extra-hosts",
  "build",
  "image-load",
  "image-save",
  "events",
  "log-since",
  "log-timestamps",
  "log-stream-selection",
  "pull-auth",
  "archive-copy",
] as const;

/**
 * - `port-publishing`: publish a container port on a host port.
 * - `container-address`: the container's own IP address is reachable from this host.
 * - `events`: the engine pushes container events (without it, `watchContainers` polls).
 * - `exec-resize`: a running exec's terminal can be resized.
 * - `interactive-tty`: an exec can have both a terminal (`tty`) and stdin, as an interactive shell does.
 * - `exit-codes`: a stopped container's exit code is reported: `inspectContainer`'s `exitCode` and
 *   `finishedAt`, `waitContainer`'s result, and the `die` event's `exitCode`. Without it those are
 *   null or absent, and `waitContainer` throws a CapabilityError once the container has stopped.
 * - `network-bridge-name`: `createNetwork` names the network's host bridge after `bridgeName`.
 * - `log-stream-selection`: logs keep stdout and stderr apart, and one of them can be asked for.
 * - `pull-auth`: `pullImage` takes registry credentials.
 * - `archive-copy`: `putArchive` / `getArchive` move tar streams in and out of a container through
 *   the engine (`docker cp`'s API); `archiveView` says which paths it sees as the container does.
 */
export type Capability = (typeof CAPABILITIES)[number];

/** The capabilities a container spec needs beyond what every runtime can do. */
export function capabilitiesForSpec(spec: ContainerSpec): Capability[] {
  const needed = new Set<Capability>();
  for (const mount of spec.mounts ?? []) {
    needed.add(mount.type === "bind" ? "bind-mounts" : mount.type === "volume" ? "volumes" : "tmpfs");
  }
  if ((spec.ports ?? []).length > 0) needed.add("port-publishing");
  if ((spec.capAdd ?? []).length > 0 || (spec.capDrop ?? []).length > 0) needed.add("cap-add-drop");
  if (spec.privileged) needed.add("privileged");
  if (spec.readOnlyRoot) needed.add("read-only-root");
  if (spec.noNewPrivileges) needed.add("no-new-privileges");
  if (spec.gpus !== undefined) needed.add("gpus");
  if ((spec.extraHosts ?? []).length > 0) needed.add("extra-hosts");
  if (spec.resources?.pidsLimit !== undefined) needed.add("pids-limit");
  if (spec.resources?.cpus !== undefined || spec.resources?.memoryMiB !== undefined)
    needed.add("resource-limits");
  if (spec.network !== undefined) needed.add("networks");
  if (spec.tty) needed.add("tty");
  return [...needed];
}

/** The capabilities a network spec needs beyond plain `networks`. */
export function capabilitiesForNetwork(spec: NetworkSpec): Capability[] {
  const needed: Capability[] = [];
  if (spec.internal) needed.push("internal-networks");
  if (spec.bridgeName !== undefined) needed.push("network-bridge-name");
  return needed;
}

/** The capabilities a logs call needs. */
export function capabilitiesForLogs(options: LogOptions): Capability[] {
  const needed: Capability[] = [];
  if (options.since !== undefined) needed.push("log-since");
  if (options.timestamps) needed.push("log-timestamps");
  // Asking for exactly one of the two streams needs them kept apart; asking for neither reads nothing.
  if ((options.stdout === false) !== (options.stderr === false)) needed.push("log-stream-selection");
  return needed;
}

/**
 * Throws a CapabilityError naming the runtime and every capability in `needed` that `supported`
 * lacks; `what` says what asked for them ("container spec", "logs").
 */
export function assertCapabilities(
  runtime: string,
  supported: ReadonlySet<Capability>,
  needed: Iterable<Capability>,
  what?: string,
): void {
  const missing = [...new Set(needed)].filter((capability) => !supported.has(capability));
  if (missing.length === 0) return;
  const subject = what === undefined ? "" : ` (needed by the ${what})`;
  throw new CapabilityError(
    `the ${runtime} runtime does not support: ${missing.join(", ")}${subject}. ` +
      `Drop ${missing.length === 1 ? "that option" : "those options"}, or choose a runtime that has ` +
      `${missing.length === 1 ? "it" : "them"} (OPENSHELL_RUNTIME=docker or podman).`,
    { runtime, missing },
  );
}
