/** The runtimes this SDK drives. */
export const RUNTIME_KINDS = ["docker", "podman", "apple-container"] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/** What `ContainerRuntime.info()` reports. */
export interface RuntimeInfo {
  kind: RuntimeKind;
  /** Engine or CLI version (`"20.10.24"`, `"4.3.1"`, `"0.6.0"`). */
  version: string;
  /** Engine API version, when it has one. */
  apiVersion?: string;
  os: string;
  arch: string;
  rootless: boolean;
}

/** Options common to every runtime call. */
export interface CallOptions {
  signal?: AbortSignal;
}
