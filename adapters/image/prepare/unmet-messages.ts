import type { ImageFacts } from "../facts/image-facts.js";
import type { PreparationGap, PreparationRequirement } from "./preparation-gap.js";

/** The suggestion every "cannot install" message ends with. */
const USE_ANOTHER_BASE =
  "use a base image with a package manager, such as debian:bookworm-slim or alpine, or add it to the image yourself";

/**
 * The gap for a package-provided requirement the image lacks when it has no package manager this
 * SDK drives: what is missing (or why what is there does not count), then what to do.
 */
export function unmetPackagesGap(requirement: PreparationRequirement, facts: ImageFacts): PreparationGap {
  return {
    requirement,
    message: `${whatIsMissing(requirement, facts)}, and ${NO_MANAGER}: ${USE_ANOTHER_BASE}.`,
  };
}

const NO_MANAGER =
  "the image has none of the package managers this SDK drives (apk, apt-get, dnf, microdnf, yum, zypper) to install it with";

function whatIsMissing(requirement: PreparationRequirement, facts: ImageFacts): string {
  if (requirement === "iproute2") {
    if (facts.ip === undefined)
      return "The image has no ip (iproute2), which OpenShell's supervisor runs to build the sandbox's network namespace";
    if (facts.ip.kind === "busybox") {
      return `The image's ip (${facts.ip.path}) is busybox's applet, which cannot build the sandbox's network namespace`;
    }
    if (facts.ip.kind === "iproute2") {
      return `The image's iproute2 ip is at ${facts.ip.path}, where OpenShell's supervisor does not look`;
    }
    return `The image's ip (${facts.ip.path}) did not identify itself as iproute2's`;
  }
  if (requirement === "nsenter") return "The image has no nsenter (util-linux)";
  return "iptables was asked for but is not in the image";
}
