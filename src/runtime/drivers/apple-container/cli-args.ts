import { isIPv6 } from "node:net";
import { InvalidArgumentError } from "../../../errors.js";
import type { ContainerSpec, MountSpec } from "../../container-spec.js";
import type { ExecSpec } from "../../exec-types.js";

/** The CLI's rule for container (and network and volume) names. */
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const NAME_MAX_LENGTH = 63;

/** A published port with every choice made: the CLI has no "any free port". */
export interface ResolvedPort {
  containerPort: number;
  protocol: "tcp" | "udp";
  hostIp: string;
  hostPort: number;
}

/** Picks a free host port on `hostIp`; see {@link resolvePorts}. */
export type PickHostPort = (hostIp: string, protocol: "tcp" | "udp") => Promise<number>;

/** Throws an InvalidArgumentError naming `field` unless `name` fits the CLI's name rule. */
export function checkName(name: string, field: string): void {
  if (name.length > NAME_MAX_LENGTH) {
    throw new InvalidArgumentError(
      `invalid ${field}: "${name}" is longer than ${NAME_MAX_LENGTH} characters`,
      {
        field,
      },
    );
  }
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(
      `invalid ${field}: "${name}" must be at least 2 characters, start with a letter or digit and hold only ` +
        "letters, digits, '_', '.' or '-'",
      { field },
    );
  }
}

/** The CLI splits `-l key=value` at every `=`, so it rejects a label whose key or value holds one. */
export function checkLabels(labels: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(labels)) {
    if (key.includes("=") || value.includes("=")) {
      throw new InvalidArgumentError(
        `invalid labels.${key}: the container CLI rejects a label whose key or value contains '='`,
        { field: `labels.${key}` },
      );
    }
  }
}

/**
 * A word the CLI reads as a positional argument (an id, an image reference): one that starts with
 * `-` would be parsed as an option instead.
 */
export function checkPositional(value: string, field: string): void {
  if (value === "" || value.startsWith("-")) {
    throw new InvalidArgumentError(`invalid ${field}: must not be empty or start with '-'`, { field });
  }
}

/** `--mount` splits at commas and `-v` at colons: refuse paths that would be cut. */
function checkMounts(spec: ContainerSpec): void {
  (spec.mounts ?? []).forEach((mount, index) => {
    if (mount.type === "bind") {
      for (const key of ["source", "target"] as const) {
        if (mount[key].includes(",")) {
          throw new InvalidArgumentError(
            `invalid mounts.${index}.${key}: the container CLI cannot mount a path with ','`,
            {
              field: `mounts.${index}.${key}`,
            },
          );
        }
      }
    } else if (mount.type === "tmpfs") {
      if (mount.target.includes(",")) {
        throw new InvalidArgumentError(
          `invalid mounts.${index}.target: the container CLI cannot mount a path with ','`,
          { field: `mounts.${index}.target` },
        );
      }
      if (mount.exec === false) {
        throw new InvalidArgumentError(
          `invalid mounts.${index}.exec: the container CLI mounts every tmpfs executable (it has no noexec option)`,
          { field: `mounts.${index}.exec` },
        );
      }
    } else if (mount.type === "volume") {
      for (const key of ["source", "target"] as const) {
        if (mount[key].includes(":")) {
          throw new InvalidArgumentError(`invalid mounts.${index}.${key}: a volume mount cannot hold ':'`, {
            field: `mounts.${index}.${key}`,
          });
        }
      }
    }
  });
}

/**
 * A tmpfs as `--mount` takes it (0.5.0 on): the CLI knows `size` and `mode` and nothing else, and
 * the guest mounts it executable. `userOwned` needs no option here: it works around runc giving a
 * tmpfs the mode of the directory under it, and the guest's own init applies `mode` as given.
 */
function tmpfsMountArg(mount: Extract<MountSpec, { type: "tmpfs" }>): string {
  const options = [`type=tmpfs`, `target=${mount.target}`];
  if (mount.sizeMiB !== undefined) options.push(`size=${mount.sizeMiB}M`);
  if (mount.mode !== undefined) options.push(`mode=${mount.mode.toString(8)}`);
  return options.join(",");
}

/** Every check the CLI would make (or get wrong) on a spec, made before anything runs. */
export function checkSpec(spec: ContainerSpec, labels: Readonly<Record<string, string>>): void {
  if (spec.name !== undefined) checkName(spec.name, "name");
  checkPositional(spec.image, "image");
  checkLabels(labels);
  checkMounts(spec);
}

/**
 * Host port and address for every published port. The CLI cannot choose a free host port (it
 * records the port it was given), so for a port without one the driver asks the OS for a free port
 * on that address and publishes it. Another process may take it before the container starts; the
 * start then fails rather than publishing somewhere else. Host ports below 1024 need root.
 */
export async function resolvePorts(spec: ContainerSpec, pick: PickHostPort): Promise<ResolvedPort[]> {
  const resolved: ResolvedPort[] = [];
  for (const port of spec.ports ?? []) {
    const protocol = port.protocol ?? "tcp";
    const hostIp = port.hostIp ?? "127.0.0.1";
    const hostPort =
      port.hostPort === undefined || port.hostPort === 0 ? await pick(hostIp, protocol) : port.hostPort;
    resolved.push({ containerPort: port.containerPort, protocol, hostIp, hostPort });
  }
  return resolved;
}

function pushEach(args: string[], flag: string, values: Iterable<string>): void {
  for (const value of values) args.push(flag, value);
}

const keyValues = (record: Readonly<Record<string, string>> | undefined) =>
  Object.entries(record ?? {}).map(([key, value]) => `${key}=${value}`);

/**
 * `container create` argv for a checked spec. CPUs are whole vCPUs (each container is a VM), so a
 * fractional `cpus` is rounded up; memory is passed in MiB. The entrypoint's first word goes to
 * `--entrypoint` (which takes one word) and its other words before the command's.
 */
export function createArgs(
  spec: ContainerSpec,
  labels: Readonly<Record<string, string>>,
  ports: readonly ResolvedPort[],
): string[] {
  const args = ["create"];
  if (spec.name !== undefined) args.push("--name", spec.name);
  pushEach(args, "-e", keyValues(spec.env));
  pushEach(args, "-l", keyValues(labels));
  for (const port of ports) {
    const host = isIPv6(port.hostIp) ? `[${port.hostIp}]` : port.hostIp;
    args.push("-p", `${host}:${port.hostPort}:${port.containerPort}/${port.protocol}`);
  }
  for (const mount of spec.mounts ?? []) {
    if (mount.type === "bind") {
      args.push(
        "--mount",
        `type=bind,source=${mount.source},target=${mount.target}${mount.readOnly ? ",readonly" : ""}`,
      );
    } else if (mount.type === "volume") {
      args.push("-v", `${mount.source}:${mount.target}${mount.readOnly ? ":ro" : ""}`);
    } else {
      args.push("--mount", tmpfsMountArg(mount));
    }
  }
  const resources = spec.resources;
  if (resources?.cpus !== undefined) args.push("-c", String(Math.ceil(resources.cpus)));
  if (resources?.memoryMiB !== undefined) args.push("-m", `${Math.ceil(resources.memoryMiB)}M`);
  const [entrypoint, ...entrypointArgs] = spec.entrypoint ?? [];
  if (entrypoint !== undefined) args.push("--entrypoint", entrypoint);
  if (spec.user !== undefined) args.push("-u", spec.user);
  if (spec.workdir !== undefined) args.push("-w", spec.workdir);
  if (spec.network !== undefined) args.push("--network", spec.network);
  pushEach(args, "--cap-add", spec.capAdd ?? []);
  pushEach(args, "--cap-drop", spec.capDrop ?? []);
  if (spec.readOnlyRoot) args.push("--read-only");
  if (spec.tty) args.push("-t");
  if (spec.openStdin) args.push("-i");
  args.push(spec.image, ...entrypointArgs, ...(spec.command ?? []));
  return args;
}

/** `container exec` argv. */
export function execArgs(id: string, spec: ExecSpec): string[] {
  const args = ["exec"];
  if (spec.stdin) args.push("-i");
  if (spec.tty) args.push("-t");
  pushEach(args, "-e", keyValues(spec.env));
  if (spec.user !== undefined) args.push("-u", spec.user);
  if (spec.workdir !== undefined) args.push("-w", spec.workdir);
  args.push(id, ...spec.command);
  return args;
}
