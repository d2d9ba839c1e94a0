import { ContainerRuntimeError, FailedPreconditionError } from "openshell/runtime";
import type { ImageRequirement } from "./inspect/image-inspection.js";

/**
 * An image lacks something OpenShell's supervisor needs, and this SDK cannot add it: the image has
 * no shell or no package manager, or a build finished and the new image still lacks it (verified
 * by running it, not by trusting the build). `requirements` names each one.
 */
export class ImageNotReadyError extends FailedPreconditionError {
  readonly image: string;
  readonly requirements: readonly ImageRequirement[];

  constructor(
    message: string,
    options: { image: string; requirements: readonly ImageRequirement[]; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.image = options.image;
    this.requirements = options.requirements;
  }
}

/**
 * The engine's build of a prepared image failed (a package manager with no network, a package that
 * does not exist). `outputTail` holds the build's last output lines, which are also in the message.
 */
export class ImageBuildError extends ContainerRuntimeError {
  readonly image: string;
  readonly outputTail: readonly string[];

  constructor(
    message: string,
    options: {
      runtime: string;
      image: string;
      outputTail: readonly string[];
      statusCode?: number;
      cause?: unknown;
    },
  ) {
    super(message, options);
    this.image = options.image;
    this.outputTail = options.outputTail;
  }
}

/**
 * Moving an image failed in the target: `ctr images import` exited non-zero, the target refused
 * the archive, or the image the target ended up with is not the source's (a different id, so a
 * different config digest). `outputTail` holds the last lines `ctr` printed (empty when it did not
 * run); they are in the message too.
 */
export class ImageLoadError extends ContainerRuntimeError {
  readonly image: string;
  /** The target: the engine's kind, or `containerd`. */
  readonly into: string;
  readonly outputTail: readonly string[];

  constructor(
    message: string,
    options: {
      runtime: string;
      image: string;
      into: string;
      outputTail?: readonly string[];
      statusCode?: number;
      cause?: unknown;
    },
  ) {
    super(message, options);
    this.image = options.image;
    this.into = options.into;
    this.outputTail = options.outputTail ?? [];
  }
}
