import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../runtime/labels.js";
import { SANDBOX_ID_LABEL } from "../sandboxes/sandbox-container.js";
import { WrittenBody } from "./written-body.js";

/**
 * One sandbox container's archive API as the client's file calls use it (the client's own
 * `ArchiveAccess`, declared again here so the gateway does not import the client).
 */
export interface SandboxArchiveAccess {
  reads(path: string): boolean;
  writes(path: string): boolean;
  readsTree(path: string): boolean;
  get(
    path: string,
    signal?: AbortSignal,
    options?: { reuseBuffers?: boolean },
  ): Promise<AsyncIterable<Uint8Array>>;
  put(dir: string, archive: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void>;
  stat(
    path: string,
    signal?: AbortSignal,
  ): Promise<{ name: string; size: number; type: string; permissions: number }>;
}

/** A sandbox's archive access, looked up at each call (the client's `FilesArchive`). */
export interface SandboxArchive {
  open(signal?: AbortSignal): Promise<SandboxArchiveAccess | undefined>;
}

/** Gives a sandbox handle its archive access from the handle's way to learn the sandbox's id. */
export type SandboxArchives = (sandboxId: (signal?: AbortSignal) => Promise<string>) => SandboxArchive;

/**
 * The embedded gateway's archive access for the client's sandbox handles: each file call finds the
 * sandbox's running container by its id label (the runtime is the source of truth, so a sandbox
 * re-created under the same name, or one a restarted gateway took over, is found as it is now) and
 * asks the runtime where its archive API sees what the container sees (ArchiveView: Podman
 * everywhere; Docker outside tmpfs mounts, and for writes only on a writable root or in a volume).
 * Runtimes without `archive-copy` (Apple `container`) give no access, so every call uses exec.
 */
export function sandboxArchives(runtime: ContainerRuntime): SandboxArchives | undefined {
  if (!runtime.capabilities.has("archive-copy")) return undefined;
  return (sandboxId) => containerArchive(runtime, sandboxId);
}

function containerArchive(
  runtime: ContainerRuntime,
  sandboxId: (signal?: AbortSignal) => Promise<string>,
): SandboxArchive {
  return {
    async open(signal): Promise<SandboxArchiveAccess | undefined> {
      const id = await sandboxId(signal);
      const options = signal === undefined ? {} : { signal };
      const [container] = await runtime.listContainers({
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SANDBOX_ID_LABEL]: id },
        ...options,
      });
      // Not running (or gone): the exec path says so in the gateway's own words.
      if (container === undefined || container.state !== "running") return undefined;
      const view = await runtime.archiveView(container.id, options);
      return {
        reads: (path) => view.reads(path),
        writes: (path) => view.writes(path),
        readsTree: (path) => view.readsTree(path),
        // With reuseBuffers the runtime reads the engine's answer into a small pool of reused
        // buffers (each chunk valid until the next is asked for), for callers that copy or write
        // each chunk before the next: what keeps a large download's memory flat.
        get: (path, getSignal, getOptions) =>
          runtime.getArchive(container.id, {
            path,
            ...(getSignal === undefined ? {} : { signal: getSignal }),
            ...(getOptions?.reuseBuffers ? { reuseBuffers: true } : {}),
          }),
        stat: (path, statSignal) =>
          runtime.statArchive(container.id, {
            path,
            ...(statSignal === undefined ? {} : { signal: statSignal }),
          }),
        put: (dir, archive, putSignal) =>
          runtime.putArchive(container.id, {
            path: dir,
            archive: new WrittenBody(archive),
            ...(putSignal === undefined ? {} : { signal: putSignal }),
          }),
      };
    },
  };
}
