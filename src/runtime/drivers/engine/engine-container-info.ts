import type Docker from "dockerode";
import type { ContainerInfo, ContainerState, ContainerSummary, PublishedPort } from "../../container-info.js";

const STATES = new Set<ContainerState>([
  "created",
  "running",
  "paused",
  "restarting",
  "stopping",
  "exited",
  "removing",
  "dead",
]);

export function toContainerState(status: string | undefined): ContainerState {
  // Podman reports "configured" for a container that was created and never started, and "stopped"
  // for one the engine stopped; they mean what Docker calls created and exited.
  if (status === "configured" || status === "initialized") return "created";
  if (status === "stopped") return "exited";
  return STATES.has(status as ContainerState) ? (status as ContainerState) : "unknown";
}

/** The Docker API's zero time ("0001-01-01T00:00:00Z") means "never". */
function toDate(value: string | undefined): Date | null {
  if (value === undefined || value === "" || value.startsWith("0001-01-01")) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function toContainerInfo(raw: Docker.ContainerInspectInfo): ContainerInfo {
  const state = toContainerState(raw.State.Status);
  const ports: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(raw.NetworkSettings.Ports ?? {})) {
    const [port, protocol] = key.split("/");
    for (const binding of bindings ?? []) {
      ports.push({
        containerPort: Number(port),
        protocol: protocol === "udp" ? "udp" : "tcp",
        hostIp: binding.HostIp,
        hostPort: Number(binding.HostPort),
      });
    }
  }
  const finished = state === "exited" || state === "dead";
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ""),
    image: raw.Config.Image,
    labels: raw.Config.Labels ?? {},
    state,
    running: raw.State.Running,
    exitCode: finished ? raw.State.ExitCode : null,
    oomKilled: raw.State.OOMKilled,
    startedAt: toDate(raw.State.StartedAt),
    finishedAt: finished ? toDate(raw.State.FinishedAt) : null,
    addresses: Object.entries(raw.NetworkSettings.Networks ?? {}).map(([network, settings]) => ({
      network,
      ipv4: settings.IPAddress ?? "",
    })),
    ports,
  };
}

export function toContainerSummary(raw: Docker.ContainerInfo): ContainerSummary {
  return {
    id: raw.Id,
    name: (raw.Names[0] ?? "").replace(/^\//, ""),
    image: raw.Image,
    labels: raw.Labels ?? {},
    state: toContainerState(raw.State),
  };
}

/** The Docker API's label filter: `["k=v", ...]`. */
export function labelFilter(labels: Readonly<Record<string, string>> | undefined): string[] {
  return Object.entries(labels ?? {}).map(([key, value]) => `${key}=${value}`);
}
