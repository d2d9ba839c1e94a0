import { resolveImageUser } from "../facts/accounts.js";
import type { ImageFacts } from "../facts/image-facts.js";
import { SANDBOX_ACCOUNT, SBIN_DIRECTORIES, SUPERVISOR_IP_PATHS } from "../facts/supervisor-needs.js";
import type { ImageGap, ImageInspection } from "./image-inspection.js";
import { DEFAULT_COMMAND_BASH } from "./parse-probe.js";

const PREPARE_HINT = "prepareImage() adds it";

/**
 * Judges facts against what OpenShell's in-sandbox supervisor needs (SEMANTICS.md section 9): one
 * gap per unmet requirement, each a sentence saying what is wrong and what to do, and notes for what
 * is optional (iptables/nft, bash) or worth knowing (the image runs as root).
 */
export function assessReadiness(facts: ImageFacts): ImageInspection {
  const image = facts.ref;
  const gaps: ImageGap[] = [];
  const notes: string[] = [];
  if (!facts.shell) {
    gaps.push({
      requirement: "shell",
      message:
        `${image} has no /bin/sh, so nothing inside it could be read and it cannot be prepared; ` +
        "rebuild it on a base image that has a shell and a package manager (Debian, Alpine, UBI, Wolfi).",
    });
  } else {
    gaps.push(...toolGaps(facts), ...accountGaps(facts));
  }
  const pathGap = sbinPathGap(facts);
  if (pathGap !== undefined) gaps.push(pathGap);
  if (facts.shell) notes.push(...optionalNotes(facts));

  const user = resolveImageUser(facts.config.user, facts.users, facts.groups);
  if (facts.shell) notes.push(...userNotes(facts.config.user, user.uid));
  const sandboxUser = facts.users.find((entry) => entry.name === SANDBOX_ACCOUNT);
  const sandboxGroup = facts.groups.find((entry) => entry.name === SANDBOX_ACCOUNT);
  return {
    image,
    id: facts.id,
    ready: gaps.length === 0,
    distro:
      facts.os === undefined
        ? undefined
        : { id: facts.os.id, version: facts.os.versionId, name: facts.os.prettyName },
    packageManager: facts.packageManager,
    ip: facts.ip === undefined ? undefined : { path: facts.ip.path, kind: facts.ip.kind },
    nsenter: facts.nsenter === undefined ? undefined : { ...facts.nsenter },
    iptables: facts.iptables === undefined ? undefined : { path: facts.iptables.path },
    bash: facts.bash === undefined ? undefined : { path: facts.bash.path },
    sandboxUser: sandboxUser === undefined ? undefined : { uid: sandboxUser.uid, gid: sandboxUser.gid },
    sandboxGroup: sandboxGroup === undefined ? undefined : { gid: sandboxGroup.gid },
    user: facts.config.user,
    effectiveUid: user.uid,
    gaps,
    notes,
  };
}

function toolGaps(facts: ImageFacts): ImageGap[] {
  const gaps: ImageGap[] = [];
  const image = facts.ref;
  const ip = facts.ip;
  const need = "the supervisor runs it to build the sandbox's network namespace";
  if (ip === undefined) {
    gaps.push({
      requirement: "iproute2",
      message: `${image} has no \`ip\` (${need}): install the iproute2 package${installHint(facts)}.`,
    });
  } else if (ip.kind === "busybox") {
    gaps.push({
      requirement: "iproute2",
      message:
        `${image}'s \`ip\` at ${ip.path} is busybox's applet, which cannot build the sandbox's network ` +
        `namespace: install the iproute2 package${installHint(facts)}.`,
    });
  } else if (ip.kind === "unknown") {
    gaps.push({
      requirement: "iproute2",
      message:
        `${image}'s \`ip\` at ${ip.path} is not iproute2's (\`ip -V\` said ${JSON.stringify(ip.version)}); ` +
        `${need}: install the iproute2 package${installHint(facts)}.`,
    });
  } else if (!(SUPERVISOR_IP_PATHS as readonly string[]).includes(ip.path)) {
    gaps.push({
      requirement: "iproute2",
      message:
        `${image}'s iproute2 \`ip\` is at ${ip.path}, where the supervisor does not look ` +
        `(${SUPERVISOR_IP_PATHS.join(", ")}): install the distribution's iproute2 package, ` +
        `or link ${ip.path} to /usr/sbin/ip.`,
    });
  }
  if (facts.nsenter === undefined) {
    gaps.push({
      requirement: "nsenter",
      message:
        `${image} has no \`nsenter\` (the supervisor enters the sandbox's namespaces with it): ` +
        `install util-linux's nsenter${installHint(facts)}.`,
    });
  }
  return gaps;
}

function accountGaps(facts: ImageFacts): ImageGap[] {
  const gaps: ImageGap[] = [];
  const image = facts.ref;
  const user = facts.users.find((entry) => entry.name === SANDBOX_ACCOUNT);
  const group = facts.groups.find((entry) => entry.name === SANDBOX_ACCOUNT);
  if (user === undefined) {
    gaps.push({
      requirement: "sandbox-user",
      message:
        `${image} has no \`${SANDBOX_ACCOUNT}\` user in /etc/passwd (sandboxes run as it): add one with a ` +
        `non-root uid and the \`${SANDBOX_ACCOUNT}\` group; ${PREPARE_HINT}.`,
    });
  } else if (user.uid === 0 || user.gid === 0) {
    gaps.push({
      requirement: "sandbox-user",
      message:
        `${image}'s \`${SANDBOX_ACCOUNT}\` user has uid ${user.uid} and gid ${user.gid}; the gateway refuses ` +
        "uid or gid 0 (root): give it a non-root uid and primary group in /etc/passwd.",
    });
  }
  if (group === undefined) {
    gaps.push({
      requirement: "sandbox-group",
      message:
        `${image} has no \`${SANDBOX_ACCOUNT}\` group in /etc/group (sandboxes run as it): add one with a ` +
        `non-root gid; ${PREPARE_HINT}.`,
    });
  } else if (group.gid === 0) {
    gaps.push({
      requirement: "sandbox-group",
      message:
        `${image}'s \`${SANDBOX_ACCOUNT}\` group has gid 0, which the gateway refuses (root): ` +
        "give it a non-root gid in /etc/group.",
    });
  }
  return gaps;
}

function sbinPathGap(facts: ImageFacts): ImageGap | undefined {
  const missing = SBIN_DIRECTORIES.filter((dir) => !facts.path.includes(dir));
  if (missing.length === 0) return undefined;
  return {
    requirement: "sbin-on-path",
    message:
      `${facts.ref}'s PATH (${facts.path.join(":") || "empty"}) lacks ${missing.join(" and ")}, where the ` +
      `supervisor finds \`ip\` and \`nsenter\`: add them with \`ENV PATH=${[...missing, "$PATH"].join(":")}\`; ` +
      `${PREPARE_HINT}.`,
  };
}

function optionalNotes(facts: ImageFacts): string[] {
  const notes: string[] = [];
  if (facts.iptables === undefined && facts.nft === undefined) {
    notes.push(
      "Optional: neither iptables nor nft is installed; with one of them the supervisor can detect " +
        "attempts to bypass the sandbox's proxy (prepareImage({ iptables: true }) adds iptables).",
    );
  }
  if (facts.bash === undefined || facts.bash.path !== DEFAULT_COMMAND_BASH) {
    notes.push(
      `No ${DEFAULT_COMMAND_BASH}: the gateway's default sandbox command runs it, so give each sandbox ` +
        "a command of your own, or install bash.",
    );
  }
  if (facts.nsenter?.busybox) {
    notes.push(
      `nsenter at ${facts.nsenter.path} is busybox's applet; the supervisor is built for util-linux's ` +
        "nsenter, so install util-linux's if entering the sandbox's namespaces fails.",
    );
  }
  return notes;
}

function userNotes(user: string, uid: number | undefined): string[] {
  if (uid === undefined) {
    return [
      `The image's USER ${JSON.stringify(user)} is not in its /etc/passwd, so the engine cannot start it ` +
        `as that user: set USER to an existing user (such as ${SANDBOX_ACCOUNT}) or a numeric uid:gid.`,
    ];
  }
  if (uid === 0) {
    return [
      `The image runs as root (USER ${user === "" ? "unset" : JSON.stringify(user)}); the gateway runs ` +
        `sandboxes as a non-root user, so set USER ${SANDBOX_ACCOUNT} or a policy's run_as_user.`,
    ];
  }
  return [];
}

/** Which package manager to install with, or that there is none (then nothing can be installed). */
function installHint(facts: ImageFacts): string {
  if (facts.packageManager === undefined) {
    return " (the image has no package manager, so rebuild it on a base that has one: Debian, Alpine, UBI, Wolfi)";
  }
  return ` with ${facts.packageManager === "apt" ? "apt-get" : facts.packageManager}; ${PREPARE_HINT}`;
}
