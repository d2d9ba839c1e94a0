import type { ImageFacts } from "../facts/image-facts.js";

import { SANDBOX_ACCOUNT, SBIN_DIRECTORIES, SUPERVISOR_IP_PATHS } from "../facts/supervisor-needs.js";

/** What the image lacks, requirement by requirement, as planning sees it. */
export interface MissingRequirements {
  /** No usable `ip`: see {@link needsIproute2}. */
  iproute2: boolean;
  /** No `nsenter` at all: see {@link needsNsenter}. */
  nsenter: boolean;
  /** No `iptables` (only acted on when asked for: it is optional). */
  iptables: boolean;
  sandboxUser: boolean;
  sandboxGroup: boolean;
  /** The entries of {@link SBIN_DIRECTORIES} that PATH lacks, in order; empty when none. */
  sbinOnPath: readonly string[];
}

/**
 * True when the image needs the distribution's iproute2 installed: `ip` is missing, is busybox's
 * applet (which cannot build network namespaces), answered `ip -V` naming neither (not trusted), or
 * is iproute2's but where the supervisor does not look (the package puts it where it does).
 */
export function needsIproute2(facts: ImageFacts): boolean {
  const ip = facts.ip;
  if (ip === undefined || ip.kind !== "iproute2") return true;
  return !(SUPERVISOR_IP_PATHS as readonly string[]).includes(ip.path);
}

/**
 * True when the image has no `nsenter` at all. A busybox applet counts as present, as inspection
 * counts it (it only notes it): preparing never rebuilds an image inspection calls ready. Busybox's
 * applet has diverged from util-linux's before (Alpine patched its `--network` option to `--net` and
 * its `-t`/`-S`/`-G` parsing), so this is the one line to change if the supervisor needs util-linux's.
 */
export function needsNsenter(facts: ImageFacts): boolean {
  return facts.nsenter === undefined;
}

/** Everything {@link planPreparation} would add to the image, before options are applied. */
export function missingRequirements(facts: ImageFacts): MissingRequirements {
  return {
    iproute2: needsIproute2(facts),
    nsenter: needsNsenter(facts),
    iptables: facts.iptables === undefined,
    sandboxUser: !facts.users.some((user) => user.name === SANDBOX_ACCOUNT),
    sandboxGroup: !facts.groups.some((group) => group.name === SANDBOX_ACCOUNT),
    sbinOnPath: SBIN_DIRECTORIES.filter((dir) => !facts.path.includes(dir)),
  };
}
