import type { ContainerRuntime } from "openshell/runtime";

/**
 * How calls after an inspection name the image inspected (a probe container's image, the FROM of
 * a preparation build, the source of a tag): by its id where the engine takes an id for an image
 * (Docker, Podman), so a tag moved meanwhile cannot change which image is used; by `ref`, the
 * reference it was inspected by, on Apple `container`. That CLI finds local images by reference
 * only: given `sha256:...` it reads a repository named `sha256` and tries to pull it, in
 * `container create`, `container image tag` and its builder's FROM alike.
 */
export function imageHandle(runtime: Pick<ContainerRuntime, "kind">, ref: string, id: string): string {
  return runtime.kind === "apple-container" ? ref : id;
}
