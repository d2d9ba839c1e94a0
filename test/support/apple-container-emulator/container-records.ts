import type Docker from "dockerode";
import {
  callerLabels,
  DEFAULT_NETWORK,
  DOCKER_DEFAULT_NETWORK,
  type EmulatorContext,
  NAME_LABEL,
  NETWORKS_LABEL,
} from "./emulator-context.js";
import { swiftDate } from "./swift-json.js";

/*
 * A Docker container as `container list --all --format json` (and `inspect`) prints it, per release:
 * 1.0.0 on `{configuration, id, status: {networks, startedDate?, state}}` (ManagedContainer), before
 * `{configuration, networks, startedDate?, status}` with fewer configuration fields. No release
 * reports an exit code, so none is printed. Fixtures list-1.0.json / list-pre-1.0.json hold the shapes.
 */

/** Defaults the CLI records when `-c` / `-m` are not given (a VM of 4 vCPUs and 1 GiB). */
const DEFAULT_CPUS = 4;
const DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024;
/** Docker's bridge MTU, reported where Apple reports its vmnet MTU. */
const MTU = 1500;
const NEVER = "0001-01-01T00:00:00Z";

/** Gateways of Docker networks by Docker name, from one network listing. */
export type Gateways = ReadonlyMap<string, string>;

export async function networkGateways(docker: Docker): Promise<Gateways> {
  const networks = await docker.listNetworks();
  return new Map(networks.map((n) => [n.Name, n.IPAM?.Config?.[0]?.Gateway ?? ""]));
}

/** The Apple network name of a Docker network (its prefix off; `bridge` is `default`). */
function appleNetworkName(context: EmulatorContext, dockerName: string): string {
  if (dockerName === DOCKER_DEFAULT_NETWORK) return DEFAULT_NETWORK;
  const prefix = context.dockerName("");
  return dockerName.startsWith(prefix) ? dockerName.slice(prefix.length) : dockerName;
}

function started(info: Docker.ContainerInspectInfo): Date | undefined {
  const at = info.State.StartedAt;
  return at === undefined || at === "" || at.startsWith(NEVER.slice(0, 4)) ? undefined : new Date(at);
}

function user(text: string | undefined): unknown {
  return text === undefined || text === "" ? { id: { gid: 0, uid: 0 } } : { raw: { userString: text } };
}

/**
 * Bind mounts, volumes and tmpfs mounts as the CLI's Filesystem records (virtiofs shares, block
 * volumes, tmpfs). The emulator gives Docker its tmpfs mounts as HostConfig.Tmpfs, which Docker's
 * `Mounts` leaves out: they are read from there.
 */
function mounts(context: EmulatorContext, info: Docker.ContainerInspectInfo): unknown[] {
  const tmpfs = Object.keys((info.HostConfig as { Tmpfs?: Record<string, string> }).Tmpfs ?? {}).map(
    (destination) => ({ destination, options: [], source: "", type: { tmpfs: {} } }),
  );
  return [
    ...(info.Mounts ?? []).map((mount) => {
      const options = mount.RW ? [] : ["ro"];
      if (mount.Type === "volume") {
        const prefix = context.dockerName("");
        const name = (mount.Name ?? "").startsWith(prefix)
          ? (mount.Name ?? "").slice(prefix.length)
          : mount.Name;
        return {
          destination: mount.Destination,
          options,
          source: mount.Source,
          type: { volume: { name, format: "ext4", cache: { auto: {} }, sync: { full: {} } } },
        };
      }
      return { destination: mount.Destination, options, source: mount.Source, type: { virtiofs: {} } };
    }),
    ...tmpfs,
  ];
}

function publishedPorts(info: Docker.ContainerInspectInfo): unknown[] {
  const bindings = info.HostConfig.PortBindings as
    | Record<string, { HostIp?: string; HostPort?: string }[] | null>
    | undefined;
  return Object.entries(bindings ?? {}).flatMap(([key, hosts]) => {
    const [port, proto] = key.split("/");
    return (hosts ?? []).map((host) => ({
      containerPort: Number(port),
      count: 1,
      hostAddress: host.HostIp === undefined || host.HostIp === "" ? "0.0.0.0" : host.HostIp,
      hostPort: Number(host.HostPort),
      proto: proto ?? "tcp",
    }));
  });
}

/** The Apple networks a container was created on, in order. */
function configuredNetworks(info: Docker.ContainerInspectInfo): string[] {
  const text = info.Config.Labels?.[NETWORKS_LABEL] ?? DEFAULT_NETWORK;
  return text === "" ? [] : text.split(",");
}

function configuration(context: EmulatorContext, info: Docker.ContainerInspectInfo, imageDigest: string) {
  const modern = context.facts.modern;
  const id = info.Config.Labels?.[NAME_LABEL] ?? info.Name.replace(/^\//, "");
  const nanoCpus = info.HostConfig.NanoCpus ?? 0;
  return {
    capAdd: info.HostConfig.CapAdd ?? [],
    capDrop: info.HostConfig.CapDrop ?? [],
    creationDate: modern ? swiftDate(new Date(info.Created), true) : undefined,
    dns: { nameservers: [], options: [], searchDomains: [] },
    id,
    image: {
      descriptor: { digest: imageDigest, mediaType: "application/vnd.oci.image.index.v1+json", size: 314 },
      reference: info.Config.Image,
    },
    initProcess: {
      arguments: info.Args ?? [],
      environment: info.Config.Env ?? [],
      executable: info.Path,
      rlimits: [],
      supplementalGroups: [],
      terminal: info.Config.Tty ?? false,
      user: user(info.Config.User),
      workingDirectory: info.Config.WorkingDir === "" ? "/" : info.Config.WorkingDir,
    },
    labels: callerLabels(info.Config.Labels),
    mounts: mounts(context, info),
    networks: configuredNetworks(info).map((network) => ({
      network,
      options: modern ? { hostname: id, mtu: MTU } : { hostname: id },
    })),
    platform: { architecture: process.arch === "arm64" ? "arm64" : "amd64", os: "linux" },
    publishedPorts: publishedPorts(info),
    publishedSockets: [],
    readOnly: info.HostConfig.ReadonlyRootfs ?? false,
    resources: {
      cpuOverhead: modern ? 1 : undefined,
      cpus: nanoCpus > 0 ? nanoCpus / 1e9 : DEFAULT_CPUS,
      memoryInBytes: (info.HostConfig.Memory ?? 0) > 0 ? info.HostConfig.Memory : DEFAULT_MEMORY_BYTES,
    },
    rosetta: false,
    runtimeHandler: "container-runtime-linux",
    ssh: false,
    stopSignal: modern ? "SIGTERM" : undefined,
    sysctls: {},
    useInit: false,
    virtualization: false,
  };
}

/** The attachments of a running container (a stopped one has none, as in the CLI). */
function attachments(context: EmulatorContext, info: Docker.ContainerInspectInfo, gateways: Gateways) {
  if (!info.State.Running) return [];
  const id = info.Config.Labels?.[NAME_LABEL] ?? info.Name.replace(/^\//, "");
  const endpoints = info.NetworkSettings.Networks ?? {};
  const order = configuredNetworks(info);
  return Object.entries(endpoints)
    .map(([dockerNetwork, endpoint]) => ({
      hostname: id,
      ipv4Address: `${endpoint.IPAddress}/${endpoint.IPPrefixLen}`,
      ipv4Gateway: endpoint.Gateway === "" ? (gateways.get(dockerNetwork) ?? "") : endpoint.Gateway,
      macAddress: endpoint.MacAddress,
      mtu: MTU,
      network: appleNetworkName(context, dockerNetwork),
      variant: context.facts.attachmentVariant ? "reserved" : undefined,
    }))
    .sort((a, b) => order.indexOf(a.network) - order.indexOf(b.network));
}

/** The CLI's state: Docker's running and paused are `running`; everything else `stopped`. */
function state(info: Docker.ContainerInspectInfo): string {
  return info.State.Running ? "running" : "stopped";
}

/** One container record in the version's shape. */
export function containerRecord(
  context: EmulatorContext,
  info: Docker.ContainerInspectInfo,
  gateways: Gateways,
): Record<string, unknown> {
  const modern = context.facts.modern;
  const startedAt = started(info);
  const startedDate = startedAt === undefined ? undefined : swiftDate(startedAt, modern);
  const config = configuration(context, info, info.Image);
  const networks = attachments(context, info, gateways);
  if (modern) {
    return { configuration: config, id: config.id, status: { networks, startedDate, state: state(info) } };
  }
  return { configuration: config, networks, startedDate, status: state(info) };
}
