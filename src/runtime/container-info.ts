/** What the runtime reports about a container, in the same shape for every driver. */

export type ContainerState =
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "stopping"
  | "exited"
  | "removing"
  | "dead"
  | "unknown";

export interface PublishedPort {
  containerPort: number;
  protocol: "tcp" | "udp";
  hostIp: string;
  hostPort: number;
}

export interface ContainerAddress {
  /** Network name. */
  network: string;
  /** IPv4 address without prefix length; empty when the container has none on this network. */
  ipv4: string;
}

/** One entry of `listContainers`. */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  labels: Readonly<Record<string, string>>;
  state: ContainerState;
}

/** The full state of one container, from `inspectContainer`. */
export interface ContainerInfo extends ContainerSummary {
  running: boolean;
  /**
   * Exit code of the main process once it has exited; null while it has not, and always null on a
   * runtime without the `exit-codes` capability.
   */
  exitCode: number | null;
  /** The kernel killed the main process for running out of memory. */
  oomKilled: boolean;
  startedAt: Date | null;
  /** When the main process exited; null while it has not, and on a runtime without `exit-codes`. */
  finishedAt: Date | null;
  addresses: readonly ContainerAddress[];
  ports: readonly PublishedPort[];
}
