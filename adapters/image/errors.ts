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
