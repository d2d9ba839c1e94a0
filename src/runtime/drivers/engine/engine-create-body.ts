import type Docker from "dockerode";
import type { ContainerSpec, PortSpec } from "../../container-spec.js";

const BYTES_PER_MIB = 1024 * 1024;

/** The Docker API create body for a spec (Podman's compat API takes the same). */
export function engineCreateBody(
  spec: ContainerSpec,
  labels: Record<string, string>,
): Docker.ContainerCreateOptions {
  const ports = spec.ports ?? [];
  const hostConfig: Docker.HostConfig = {
    Mounts: (spec.mounts ?? []).map((mount): Docker.MountSettings => {
      if (mount.type === "tmpfs") {
        return {
          Type: "tmpfs",
          Target: mount.target,
          TmpfsOptions: {
            ...(mount.sizeMiB === undefined ? {} : { SizeBytes: mount.sizeMiB * BYTES_PER_MIB }),
            ...(mount.mode === undefined ? {} : { Mode: mount.mode }),
          },
        } as Docker.MountSettings;
      }
      return {
        Type: mount.type,
        Source: mount.source,
        Target: mount.target,
        ReadOnly: mount.readOnly ?? false,
      };
    }),
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
