import type Docker from "dockerode";
import type { ContainerSpec, MountSpec, PortSpec } from "../../container-spec.js";

const BYTES_PER_MIB = 1024 * 1024;

/** Which engine the body is for: Podman's compat API takes Docker's body, with the differences below. */
export type EngineFlavor = "docker" | "podman";

/**
 * Where Podman mounts a writable tmpfs of its own in a read-only container (its `--read-only-tmpfs`,
 * which its compat API always turns on): a read-only tmpfs at each (holding a copy of what the image
 * has there) keeps the root read-only.
 */
const PODMAN_READ_ONLY_TMPFS = ["/run", "/tmp", "/var/tmp"];

/** The Docker API create body for a spec (Podman's compat API takes the same). */
export function engineCreateBody(
  spec: ContainerSpec,
  labels: Record<string, string>,
  flavor: EngineFlavor = "docker",
): Docker.ContainerCreateOptions {
  const ports = spec.ports ?? [];
  const mounts = spec.mounts ?? [];
  const tmpfs = tmpfsMounts(spec, flavor);
  const hostConfig: Docker.HostConfig = {
    Mounts: mounts.flatMap((mount): Docker.MountSettings[] =>
      mount.type === "tmpfs"
        ? []
        : [
            {
              Type: mount.type,
              Source: mount.source,
              Target: mount.target,
              ReadOnly: mount.readOnly ?? false,
            },
          ],
    ),
    // As HostConfig.Tmpfs, not Mounts: only its option string takes exec and an owner on every API version.
    ...(Object.keys(tmpfs).length === 0 ? {} : { Tmpfs: tmpfs }),
    ReadonlyRootfs: spec.readOnlyRoot ?? false,
    Privileged: spec.privileged ?? false,
    ...(spec.capAdd === undefined ? {} : { CapAdd: [...spec.capAdd] }),
    ...(spec.capDrop === undefined ? {} : { CapDrop: [...spec.capDrop] }),
    ...(spec.noNewPrivileges ? { SecurityOpt: ["no-new-privileges"] } : {}),
    ...(spec.resources?.cpus === undefined ? {} : { NanoCpus: Math.round(spec.resources.cpus * 1e9) }),
    ...(spec.resources?.memoryMiB === undefined ? {} : { Memory: spec.resources.memoryMiB * BYTES_PER_MIB }),
    ...(spec.resources?.pidsLimit === undefined ? {} : { PidsLimit: spec.resources.pidsLimit }),
    ...(spec.gpus === undefined
      ? {}
      : {
          DeviceRequests: [
            { Driver: "", Count: spec.gpus === "all" ? -1 : spec.gpus, Capabilities: [["gpu"]] },
          ],
        }),
    ...(spec.network === undefined ? {} : { NetworkMode: spec.network }),
    ...(ports.length === 0 ? {} : { PortBindings: portBindings(ports) }),
    ...(spec.extraHosts === undefined
      ? {}
      : { ExtraHosts: spec.extraHosts.map(({ host, ip }) => `${host}:${ip}`) }),
  };
  return {
    ...(spec.name === undefined ? {} : { name: spec.name }),
    Image: spec.image,
    ...(spec.command === undefined ? {} : { Cmd: [...spec.command] }),
    ...(spec.entrypoint === undefined ? {} : { Entrypoint: [...spec.entrypoint] }),
    Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
    Labels: labels,
    ...(spec.user === undefined ? {} : { User: spec.user }),
    ...(spec.workdir === undefined ? {} : { WorkingDir: spec.workdir }),
    Tty: spec.tty ?? false,
    OpenStdin: spec.openStdin ?? false,
    ...(ports.length === 0 ? {} : { ExposedPorts: Object.fromEntries(ports.map((p) => [portKey(p), {}])) }),
    HostConfig: hostConfig,
  };
}

/** HostConfig.Tmpfs: each tmpfs mount's target and mount options. */
function tmpfsMounts(spec: ContainerSpec, flavor: EngineFlavor): Record<string, string> {
  const tmpfs: Record<string, string> = {};
  for (const mount of spec.mounts ?? []) {
    if (mount.type === "tmpfs") tmpfs[mount.target] = tmpfsOptions(mount, spec.user, flavor).join(",");
  }
  if (flavor === "podman" && spec.readOnlyRoot) {
    const taken = new Set((spec.mounts ?? []).map((mount) => mount.target));
    for (const target of PODMAN_READ_ONLY_TMPFS) if (!taken.has(target)) tmpfs[target] = "ro";
  }
  return tmpfs;
}

function tmpfsOptions(
  mount: Extract<MountSpec, { type: "tmpfs" }>,
  user: string | undefined,
  flavor: EngineFlavor,
): string[] {
  // Podman copies what the image has at the target into a tmpfs; Docker cannot. Empty on both.
  const options: string[] = flavor === "podman" ? ["notmpcopyup"] : [];
  if (mount.exec !== undefined) options.push(mount.exec ? "exec" : "noexec");
  if (mount.sizeMiB !== undefined) options.push(`size=${mount.sizeMiB}m`);
  if (mount.mode !== undefined) options.push(`mode=${mount.mode.toString(8)}`);
  if (mount.userOwned) {
    if (flavor === "podman") {
      // Podman chowns the mount to the container's user itself, named or numeric.
      options.push("U");
    } else {
      const numeric = /^(\d+)(?::(\d+))?$/.exec(user ?? "");
      if (numeric)
        options.push(`uid=${numeric[1]}`, ...(numeric[2] === undefined ? [] : [`gid=${numeric[2]}`]));
    }
  }
  return options;
}

function portKey(port: PortSpec): string {
  return `${port.containerPort}/${port.protocol ?? "tcp"}`;
}

function portBindings(ports: readonly PortSpec[]): Docker.PortMap {
  const bindings: Docker.PortMap = {};
  for (const port of ports) {
    const key = portKey(port);
    const list = bindings[key] ?? [];
    // Loopback by default: publishing on every interface is a choice the caller must make.
    list.push({ HostIp: port.hostIp ?? "127.0.0.1", HostPort: port.hostPort ? String(port.hostPort) : "" });
    bindings[key] = list;
  }
  return bindings;
}
