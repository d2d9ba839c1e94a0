import type { ImageInfo } from "openshell/runtime";
import type { ImageFacts } from "../facts/image-facts.js";

/**
 * The PATH a container gets when its image sets none: Docker's and Podman's default, which is
 * also what the runtime's `sh` falls back to.
 */
export const DEFAULT_IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The image's config as ImageFacts holds it, from the engine's inspect. */
export function imageConfig(info: ImageInfo): ImageFacts["config"] {
  return {
    user: info.user,
    entrypoint: [...info.entrypoint],
    cmd: [...info.cmd],
    workdir: info.workdir,
    env: [...info.env],
    labels: { ...info.labels },
  };
}

/**
 * The image's PATH split at ':' (empty entries dropped: they mean the working folder, where no
 * supervisor tool is looked for). The last `PATH=` wins, as in the engines; the default when none.
 */
export function imagePath(env: readonly string[]): string[] {
  const entry = [...env].reverse().find((item) => item.startsWith("PATH="));
  const value = entry === undefined ? DEFAULT_IMAGE_PATH : entry.slice("PATH=".length);
  return value.split(":").filter((dir) => dir !== "");
}
