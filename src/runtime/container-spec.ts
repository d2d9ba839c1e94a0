/**
 * What a container is made from: the driver-neutral description every runtime driver turns into its
 * own request (a Docker create body, a libpod spec, `container create` flags).
 */

/** A host folder, a named volume or a tmpfs (empty: what the image has at its target is hidden). */
export type MountSpec =
  | { type: "bind"; source: string; target: string; readOnly?: boolean }
  | { type: "volume"; source: string; target: string; readOnly?: boolean }
  | {
      type: "tmpfs";
      target: string;
      sizeMiB?: number;
      mode?: number;
      /** Programs on it may run (`exec`) or not (`noexec`); the engine's default when absent. */
      exec?: boolean;
      /**
       * Owned by the container's `user` rather than root. OCI runtimes before runc 1.1.8 give a tmpfs
       * mounted over a directory the image has that directory's mode, whatever `mode` says, so only
       * the owner may write to it. Podman resolves any user; Docker only a numeric one (`1000:1000`),
       * and leaves a named user's tmpfs to root.
       */
      userOwned?: boolean;
    };

/** A container port published on the host. */
export interface PortSpec {
  containerPort: number;
  protocol?: "tcp" | "udp";
  /** Host port; 0 or absent lets the engine choose a free one (read it back with `inspectContainer`). */
  hostPort?: number;
  /** Host address to bind; defaults to 127.0.0.1 so nothing is exposed beyond this machine by accident. */
  hostIp?: string;
}

export interface ResourceLimits {
  /** CPU quota in whole or fractional CPUs (`0.5` = half a core). */
  cpus?: number;
  memoryMiB?: number;
  /** Maximum number of processes (and threads) in the container. */
  pidsLimit?: number;
}

export interface ContainerSpec {
  image: string;
  /** Name of the container; the engine makes one up when absent. */
  name?: string;
  /** Arguments after the entrypoint (Docker's `Cmd`). */
  command?: readonly string[];
  entrypoint?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Labels of your own; the runtime adds its session labels so everything it creates can be found. */
  labels?: Readonly<Record<string, string>>;
  /** `name`, `uid` or `uid:gid`. */
  user?: string;
  workdir?: string;
  mounts?: readonly MountSpec[];
  readOnlyRoot?: boolean;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  noNewPrivileges?: boolean;
  privileged?: boolean;
  resources?: ResourceLimits;
  /** GPUs to expose: `"all"` or a count. Refused with a CapabilityError where the runtime has none. */
  gpus?: "all" | number;
  /** Network to attach to (by name); the engine's default network when absent. */
  network?: string;
  ports?: readonly PortSpec[];
  /** Extra /etc/hosts entries; `ip` may be `"host-gateway"` for the host's address. */
  extraHosts?: readonly { host: string; ip: string }[];
  /** Allocate a terminal for the main process. */
  tty?: boolean;
  /** Keep the main process's stdin open (for `attach`-style use). */
  openStdin?: boolean;
}
