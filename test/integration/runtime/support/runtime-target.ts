import type { ContainerRuntime } from "../../../../src/runtime/container-runtime.js";

/** One runtime the conformance suite runs against. */
export interface RuntimeTarget {
  name: string;
  /** A new runtime with its own session id. */
  connect(): Promise<ContainerRuntime>;
  /** A busybox image present in the runtime (sh, nc, ip, id, md5sum, stty, cat, sleep). */
  busyboxImage: string;
}
