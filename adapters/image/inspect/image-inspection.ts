import type { PackageManager } from "../facts/image-facts.js";

/**
 * What OpenShell's in-sandbox supervisor needs from an image (the gateway's own rules):
 * - `shell`: `/bin/sh`, without which the image cannot be inspected or prepared at all;
 * - `iproute2`: a full iproute2 `ip` at /usr/sbin, /sbin, /usr/bin or /bin (busybox's applet cannot
 *   build the sandbox's network namespace);
 * - `nsenter` (util-linux);
 * - `sandbox-user` and `sandbox-group`: a non-root `sandbox` user and group in /etc/passwd and /etc/group;
 * - `sbin-on-path`: `/usr/sbin` and `/sbin` on the image's PATH, where the supervisor looks for `ip`;
 * - `iptables`: optional (it enables bypass detection); a requirement only when asked for.
 */
export type ImageRequirement =
  | "shell"
  | "iproute2"
  | "nsenter"
  | "sandbox-user"
  | "sandbox-group"
  | "sbin-on-path"
  | "iptables";

/** One unmet requirement, with a sentence saying what is wrong. */
export interface ImageGap {
  requirement: ImageRequirement;
  message: string;
}

/** The result of `inspectImage`: what an image has and lacks, read without changing it. */
export interface ImageInspection {
  /** The reference inspected, as given. */
  image: string;
  /** The engine's image id (`sha256:...`). */
  id: string;
  /** True when `gaps` is empty: a sandbox on a real gateway can run from this image as it is. */
  ready: boolean;
  /** From `/etc/os-release`; undefined when the image has none. */
  distro: { id: string; version: string; name: string } | undefined;
  packageManager: PackageManager | undefined;
  ip: { path: string; kind: "iproute2" | "busybox" | "unknown" } | undefined;
  nsenter: { path: string; busybox: boolean } | undefined;
  /** Optional: it lets the supervisor detect attempts to bypass the proxy. */
  iptables: { path: string } | undefined;
  /** Needed only when a sandbox uses the gateway's default command. */
  bash: { path: string } | undefined;
  sandboxUser: { uid: number; gid: number } | undefined;
  sandboxGroup: { gid: number } | undefined;
  /** The image's `USER` ("" when it sets none, so it runs as root). */
  user: string;
  /** The uid the image's `USER` runs as; undefined when it names a user the image does not have. */
  effectiveUid: number | undefined;
  /** One entry per unmet requirement; empty when `ready`. */
  gaps: readonly ImageGap[];
  /** What is optional and absent (iptables, bash), one sentence each. */
  notes: readonly string[];
}
