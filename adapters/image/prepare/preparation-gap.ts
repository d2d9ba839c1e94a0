import type { ImageRequirement } from "../inspect/image-inspection.js";

/** A requirement preparation can fail to meet: the image's own, or iptables when it was asked for. */
export type PreparationRequirement = ImageRequirement | "iptables";

/** One requirement a plan cannot meet in this image, with a sentence saying what to do. */
export interface PreparationGap {
  requirement: PreparationRequirement;
  message: string;
}
