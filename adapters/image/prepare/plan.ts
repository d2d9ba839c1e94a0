import { resolveImageUser } from "../facts/accounts.js";
import type { ImageFacts } from "../facts/image-facts.js";
import { SANDBOX_ACCOUNT } from "../facts/supervisor-needs.js";
import { planAccounts } from "./account-steps.js";
import { missingRequirements } from "./missing-requirements.js";
import { INSTALL_VERB, installCommand, packageNames } from "./package-managers.js";
import type { PreparationGap, PreparationRequirement } from "./preparation-gap.js";
import { checkPreparationOptions, type PreparationOptions } from "./preparation-options.js";
import { dockerfileQuote, hasLineBreak } from "./quoting.js";
import { unmetPackagesGap } from "./unmet-messages.js";

/** What preparing one image adds, computed from its facts alone (no engine is asked anything). */
export interface PreparationPlan {
  /** True when the image needs nothing (then `unmet` is empty too, and the build is skipped). */
  empty: boolean;
  /**
   * One short phrase per thing added: `iproute2 (apt-get install iproute2)`,
   * `group sandbox (gid 1000) with groupadd`, `user sandbox (uid 1000, gid 1000, home /sandbox) with
   * useradd`, `PATH += /usr/sbin:/sbin`, `USER sandbox`. Listed even when `unmet` is not empty, as
   * what would have been added.
   */
  added: string[];
  /**
   * Requirements that cannot be met in this image (no shell, no package manager for a missing
   * package, an id already taken...), each a sentence saying what to do. Non-empty means the
   * caller must not build: {@link renderDockerfile} refuses such a plan.
   */
  unmet: PreparationGap[];
  /** Packages installed through the image's package manager. */
  packages: string[];
  /** The USER the prepared image ends with: the original when it was a non-root user, else `sandbox`. */
  finalUser: string;
  /** The Dockerfile instructions after `FROM`, in order; empty when `empty` or when anything is unmet. */
  instructions: string[];
  /** The id of the image the plan was made for (`facts.id`), checked by {@link renderDockerfile}. */
  imageId: string;
}

/**
 * Plans what preparing an image adds, adding only what is missing: iproute2 and util-linux's
 * nsenter (and iptables when asked) through the image's own package manager, the `sandbox` group
 * and user (home `/sandbox`), `/usr/sbin` and `/sbin` appended to PATH, and `USER sandbox` when
 * the image ran as root. The image's entrypoint, command, workdir, labels and other env are never
 * restated: `FROM` inherits them, and setting ENTRYPOINT would reset CMD.
 *
 * Root here means uid 0 or gid 0 (OpenShell refuses either). A non-root `USER` is kept as the
 * final user; one naming a user the image does not have (other than `sandbox`, which is created)
 * is unmet, since no container could start as it. Facts of an already prepared image give an
 * empty plan.
 *
 * @throws InvalidArgumentError naming the field (`options`, `iptables`, `user`, `user.uid`, `user.gid`).
 */
export function planPreparation(facts: ImageFacts, options?: PreparationOptions): PreparationPlan {
  const asked = checkPreparationOptions(options);
  const unmet: PreparationGap[] = [];
  const added: string[] = [];
  const user = finalUserOf(facts, unmet);
  const plan = (packages: string[], instructions: string[]): PreparationPlan => ({
    empty: added.length === 0 && unmet.length === 0,
    added,
    unmet,
    packages,
    finalUser: user.final,
    instructions: unmet.length === 0 ? instructions : [],
    imageId: facts.id,
  });
  if (!facts.shell) {
    unmet.unshift({
      requirement: "shell",
      message:
        "The image has no /bin/sh, so nothing can be installed in it and OpenShell's supervisor cannot run in it: use a base image with a shell and a package manager, such as debian:bookworm-slim or alpine.",
    });
    return plan([], []);
  }

  const missing = missingRequirements(facts);
  const wanted: { requirement: PreparationRequirement; pick: "iproute2" | "nsenter" | "iptables" }[] = [];
  if (missing.iproute2) wanted.push({ requirement: "iproute2", pick: "iproute2" });
  if (missing.nsenter) wanted.push({ requirement: "nsenter", pick: "nsenter" });
  if (asked.iptables && missing.iptables) wanted.push({ requirement: "iptables", pick: "iptables" });
  const manager = facts.packageManager;
  const packages: string[] = [];
  const runSteps: string[] = [];
  if (wanted.length > 0 && manager === undefined) {
    for (const { requirement } of wanted) unmet.push(unmetPackagesGap(requirement, facts));
  } else if (manager !== undefined && wanted.length > 0) {
    const names = packageNames(manager, facts.os);
    for (const { pick } of wanted) {
      const name = names[pick];
      if (!packages.includes(name)) {
        packages.push(name);
        added.push(`${name} (${INSTALL_VERB[manager]} ${name})`);
      }
    }
    runSteps.push(`RUN ${installCommand(manager, packages)}`);
  }

  const accounts = planAccounts(facts, asked);
  unmet.push(...accounts.unmet);
  added.push(...accounts.added);
  if (accounts.commands.length > 0) runSteps.push(`RUN ${accounts.commands.join(" && ")}`);

  const instructions: string[] = [];
  if (missing.sbinOnPath.length > 0) {
    const kept = facts.path.filter((dir) => dir !== "");
    if (kept.some(hasLineBreak)) {
      unmet.push({
        requirement: "sbin-on-path",
        message:
          "The image's PATH holds a line break, so it cannot be restated in a Dockerfile: fix PATH in the base image, with /usr/sbin and /sbin on it.",
      });
    } else {
      // Before the RUN steps, so that package managers and account tools in /sbin are found.
      instructions.push(`ENV PATH=${dockerfileQuote([...kept, ...missing.sbinOnPath].join(":"))}`);
      added.push(`PATH += ${missing.sbinOnPath.join(":")}`);
    }
  }
  if (user.final !== facts.config.user) added.push(`USER ${user.final}`);
  if (runSteps.length > 0 && user.effectiveUid !== 0) {
    // Numeric, so it works even in an image whose /etc/passwd has no "root".
    instructions.unshift("USER 0:0");
  }
  instructions.push(...runSteps);
  if (added.length > 0) instructions.push(`USER ${user.final}`);
  return plan(packages, instructions);
}

/** A `USER` value the Dockerfile can restate as is: names or ids, optionally `user:group`. */
const PLAIN_USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/**
 * The user the prepared image ends with, and the uid the image's `USER` runs as now (which decides
 * whether the build must switch to root for its RUN steps).
 */
function finalUserOf(
  facts: ImageFacts,
  unmet: PreparationGap[],
): { final: string; effectiveUid: number | undefined } {
  const configured = facts.config.user;
  const resolved = resolveImageUser(configured, facts.users, facts.groups);
  const userPart = configured.split(":", 1)[0] ?? "";
  if (configured === "" || resolved.uid === 0 || resolved.gid === 0) {
    return { final: SANDBOX_ACCOUNT, effectiveUid: resolved.uid };
  }
  if (!PLAIN_USER.test(configured)) {
    unmet.push({
      requirement: "sandbox-user",
      message: `The image's USER ${JSON.stringify(configured)} cannot be restated in a Dockerfile: set USER to a user name or uid[:gid] in the base image.`,
    });
  } else if (resolved.uid === undefined && userPart !== SANDBOX_ACCOUNT) {
    unmet.push({
      requirement: "sandbox-user",
      message: `The image's USER ${configured} is not in its /etc/passwd, so no container can start as it: add that user to the base image, or set USER to a uid or to sandbox.`,
    });
  }
  return { final: configured, effectiveUid: resolved.uid };
}
