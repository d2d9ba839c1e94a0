import type { ContainerRuntime, ImageInfo } from "openshell/runtime";
import { CanceledError, NotFoundError } from "openshell/runtime";
import { loadIntoContainerd } from "./containerd-load.js";
import { loadIntoEngine } from "./engine-load.js";
import { formatBytes, normaliseImageId, refersToId } from "./image-names.js";
import { type LoadContext, say } from "./load-context.js";
import {
  checkLoadOptions,
  containerdNeedsName,
  type LoadedImage,
  type LoadImageOptions,
} from "./load-options.js";

/**
 * Moves an image from the `source` engine to where a gateway will run it:
 * - into another engine (`into` a ContainerRuntime: Docker to Podman and back): the source's
 *   `docker save` stream piped straight into the target's load, never held whole in memory nor
 *   written to a file; then the target's image id is checked against the source's;
 * - into containerd in a container (`into: { runtime, container, namespace?, address? }`), the way a
 *   gateway's cluster container (`openshell-cluster-<gateway>`) holds the images its Kubernetes
 *   runs: `ctr -n k8s.io images import -` run there through the runtime's exec, fed over its stdin;
 *   then the imported image's config digest is checked against the source's id.
 *
 * An image the target already has with the same id (config digest) is not moved: the result says
 * `alreadyPresent`, and a progress event says so. `onProgress` gets `load` events with the bytes
 * moved and the source's size of the image as `totalBytes` (an estimate: the archive adds its tar
 * headers).
 *
 * Aborting `signal` stops the save stream and the load at any point; whatever the target had
 * already taken of the image is removed, and a cancelled `ctr` import is ended, not left running.
 *
 * @throws InvalidArgumentError for a reference that is not valid (named by `field`), or an `into`
 *   that is neither an engine nor a containerd target.
 * @throws CapabilityError when the source cannot save images (Apple `container`) or the target
 *   cannot load them (or exec, for containerd).
 * @throws NotFoundError when the source has no such image, or the containerd container does not exist.
 * @throws FailedPreconditionError when the container has no `ctr`, or ctr cannot reach containerd.
 * @throws ImageLoadError when ctr's import fails (with its last output lines) or the target ends up
 *   with an image whose id is not the source's.
 * @throws CanceledError when `signal` aborts.
 */
export async function loadImage(source: ContainerRuntime, options: LoadImageOptions): Promise<LoadedImage> {
  const checked = checkLoadOptions(source, options);
  const { image, signal, onProgress } = options;
  const into = checked.kind === "engine" ? checked.target.kind : "containerd";
  const canceled = (cause: unknown) =>
    new CanceledError(
      `load image ${image} into ${into}: canceled by the caller's signal before anything moved`,
      {
        cause,
      },
    );
  if (signal?.aborted) throw canceled(signal.reason);

  const sourceInfo = await inspectSource(source, image, signal).catch((error: unknown) => {
    throw signal?.aborted ? canceled(signal.reason) : error;
  });
  const id = normaliseImageId(sourceInfo.id);
  if (checked.kind === "containerd" && refersToId(image, id)) throw containerdNeedsName(image);
  const context: LoadContext = { source, image, sourceInfo, id, signal, onProgress };
  say(
    context,
    `${image} is ${id} in ${source.kind} (${formatBytes(sourceInfo.sizeBytes)}); loading it into ${into}`,
  );
  try {
    return checked.kind === "engine"
      ? await loadIntoEngine(context, checked.target)
      : await loadIntoContainerd(context, checked.target);
  } catch (error) {
    // Before the move started (asking the target what it has), an abort surfaces as whatever the
    // request it cut threw; the caller asked to stop, and should hear that.
    if (signal?.aborted && !(error instanceof CanceledError)) throw canceled(signal.reason);
    throw error;
  }
}

async function inspectSource(
  source: ContainerRuntime,
  image: string,
  signal: AbortSignal | undefined,
): Promise<ImageInfo> {
  try {
    return await source.inspectImage(image, signal === undefined ? {} : { signal });
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(
        `no image ${image} in ${source.kind} (the source of the load): build, pull or load it there ` +
          "first, or pass the runtime that has it as the source",
        { cause: error },
      );
    }
    throw error;
  }
}
