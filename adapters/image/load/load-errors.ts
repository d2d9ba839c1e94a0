import { ContainerRuntimeError } from "openshell/runtime";

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
