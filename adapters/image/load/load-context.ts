import type { ContainerRuntime, ImageInfo } from "openshell/runtime";
import { CanceledError, NotFoundError } from "openshell/runtime";
import type { ImageProgressListener } from "../progress.js";

/** What both kinds of load start from: the source image as its engine knows it. */
export interface LoadContext {
  source: ContainerRuntime;
  /** The reference as the caller gave it. */
  image: string;
  /** The source's inspect of it. */
  sourceInfo: ImageInfo;
  /** Its id, `sha256:<config digest>`. */
  id: string;
  signal: AbortSignal | undefined;
  onProgress: ImageProgressListener | undefined;
}

/** Sends a `load` event with a message only (steps; byte counts go through byte-progress). */
export function say(context: LoadContext, message: string): void {
  context.onProgress?.({ phase: "load", message });
}

/** The error of a canceled load; `leftover` says what cleanup could not remove, when it failed. */
export function canceledError(
  context: LoadContext,
  into: string,
  cause: unknown,
  leftover: string | undefined,
): CanceledError {
  return new CanceledError(
    `load image ${context.image} into ${into}: canceled by the caller's signal; ` +
      (leftover ?? "nothing of it was left there"),
    { cause },
  );
}

/**
 * An AbortController that follows the caller's signal and can also be aborted on its own (when one
 * side of the pipe fails, the other must stop too). `dispose` stops following.
 */
export function linkedController(signal: AbortSignal | undefined): {
  controller: AbortController;
  dispose(): void;
} {
  const controller = new AbortController();
  if (signal === undefined) return { controller, dispose: () => {} };
  const follow = () => controller.abort(signal.reason);
  if (signal.aborted) follow();
  else signal.addEventListener("abort", follow, { once: true });
  return { controller, dispose: () => signal.removeEventListener("abort", follow) };
}

/** The image as `runtime` has it, or undefined when it has no image by that reference. */
export async function inspectIfPresent(
  runtime: ContainerRuntime,
  ref: string,
  signal: AbortSignal | undefined,
): Promise<ImageInfo | undefined> {
  try {
    return await runtime.inspectImage(ref, signal === undefined ? {} : { signal });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** A signal for cleanup after a cancel: the caller's is already aborted, and cleanup must still end. */
export function cleanupSignal(): AbortSignal {
  return AbortSignal.timeout(60_000);
}
