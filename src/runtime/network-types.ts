export interface NetworkSpec {
  name: string;
  /** No route out of the network: containers on it reach each other and nothing else. */
  internal?: boolean;
  labels?: Readonly<Record<string, string>>;
  /**
   * Name of the Linux bridge the engine makes for the network on its host (at most 15 characters),
   * so host tools (a firewall) can name its traffic. Needs the `network-bridge-name` capability:
   * engines without host bridges (Apple `container`) refuse it with a CapabilityError.
   */
  bridgeName?: string;
}

export interface NetworkInfo {
  id: string;
  name: string;
  internal: boolean;
  labels: Readonly<Record<string, string>>;
  /** The network's IPv4 subnet (CIDR), when the engine says. */
  subnet?: string;
  /** The gateway address the engine assigned on the subnet, when it assigned one. */
  gateway?: string;
  /** The Linux bridge of the network on the engine's host, for bridge networks. */
  bridge?: string;
}

export interface VolumeSpec {
  name: string;
  labels?: Readonly<Record<string, string>>;
}

export interface VolumeInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
}
