import { InvalidArgumentError, parseImageReference } from "openshell/runtime";
import { z } from "zod";
import type { ImageInspection } from "../inspect/image-inspection.js";
import type { ImageProgressListener } from "../progress.js";
import { checkPreparationOptions } from "./preparation-options.js";

/** Options of {@link prepareImage}. */
export interface PrepareImageOptions {
  /** The image to prepare (`name:tag` or an image id); it is never changed. */
  image: string;
  /** Name of the prepared image (`name:tag`). When `image` is already ready, it is only tagged so. */
  tag: string;
  /** Also install iptables (optional: it lets the supervisor detect attempts to bypass the proxy). */
  iptables?: boolean;
  /**
   * The uid and gid of the `sandbox` user and group, when they have to be created. Default: 1000 when
   * the image has no user or group with that id, else the first free id above it.
   */
  user?: { uid?: number; gid?: number };
  /** Cancels at any point; no build container, temporary image or partial image is left. */
  signal?: AbortSignal;
  onProgress?: ImageProgressListener;
}

/** The result of {@link prepareImage}. */
export interface PreparedImage {
  /** The prepared image's name (`tag`). */
  image: string;
  /** Its image id. Equal to `source.id` when nothing had to be added. */
  id: string;
  /** The image it was prepared from. */
  source: { image: string; id: string };
  /** False when the image was already ready (then it was only tagged, not rebuilt). */
  changed: boolean;
  /** What the build added, one phrase each (empty when `changed` is false). */
  added: readonly string[];
  /** The prepared image as inspected after the build (by running it, not by trusting the build). */
  inspection: ImageInspection;
  /** The Dockerfile the build ran, for the record; undefined when nothing was built. */
  dockerfile: string | undefined;
}

const optionsSchema = z.object({
  image: z.string().min(1, "must name an image (name:tag or an image id)"),
  tag: z.string().min(1, "must name the prepared image (name:tag)"),
  signal: z.instanceof(AbortSignal, { message: "must be an AbortSignal" }).optional(),
  onProgress: z.function().optional(),
});

/** Checks prepareImage's options before anything runs; each error names its field. */
export function checkPrepareOptions(options: PrepareImageOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("prepareImage needs an options object: { image, tag }", {
      field: "options",
    });
  }
  const result = optionsSchema.passthrough().safeParse(options);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join(".") || "options";
    throw new InvalidArgumentError(`invalid ${field}: ${issue?.message ?? "not valid"}`, { field });
  }
  parseImageReference(options.tag, { field: "tag", tagOnly: true });
  checkPreparationOptions({ iptables: options.iptables, user: options.user });
}
