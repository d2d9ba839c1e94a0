import type { FoundTool, ImageFacts } from "../facts/image-facts.js";
import { SANDBOX_ACCOUNT, SANDBOX_HOME } from "../facts/supervisor-needs.js";
import type { ImageGap } from "../inspect/image-inspection.js";
import { firstFreeId, gidOwner, pickBothIds, uidOwner } from "./account-ids.js";
import { hasLineBreak, shellQuote } from "./quoting.js";

/** The login shell the sandbox user gets: every image preparation accepts has `/bin/sh`. */
const SANDBOX_SHELL = "/bin/sh";

/** What adding the sandbox user and group takes: commands for one `RUN` step, and what they add. */
export interface AccountSteps {
  /** Shell commands, in order, to be joined with `&&`; empty when both already exist. */
  commands: string[];
  /** One phrase per thing added (`group sandbox (gid 1000) with groupadd`). */
  added: string[];
  /** Why the user or group cannot be added as asked (an id taken by another name, root ids). */
  unmet: ImageGap[];
}

/**
 * Plans the `sandbox` group, then the `sandbox` user (home `/sandbox`, created and owned by it),
 * adding only what the image lacks, with whichever tool it has: shadow's groupadd/useradd first,
 * then busybox's addgroup/adduser, then Debian's, and when it has none (or only an unknown
 * `adduser`, such as the RPM symlink to useradd that inspection cannot vouch for) lines appended
 * to /etc/group and /etc/passwd (and /etc/gshadow, /etc/shadow when they exist) with printf. The
 * file writes need nothing but sh, so this never needs a package.
 *
 * When only one of the two exists:
 * - the group exists: the user is created with it as primary group;
 * - the user exists: the group gets the user's primary gid when no group holds it (so the user's
 *   primary group becomes `sandbox`); otherwise it gets a free gid and lists the user as a member,
 *   and the user's primary group is left alone (changing it could break file ownership the image
 *   relies on). That group line is written directly, since groupadd has no portable way to add
 *   members.
 *
 * `asked` ids apply to what is created. An existing user or group whose id differs from the one
 * asked for, an asked id held by another name, and a `sandbox` user or group with id 0 (or a user
 * whose primary gid is 0) are unmet.
 */
export function planAccounts(
  facts: ImageFacts,
  asked: { uid?: number | undefined; gid?: number | undefined },
): AccountSteps {
  const user = facts.users.find((entry) => entry.name === SANDBOX_ACCOUNT);
  const group = facts.groups.find((entry) => entry.name === SANDBOX_ACCOUNT);
  const unmet: ImageGap[] = [];
  if (user !== undefined) checkExisting("user", user.uid, asked.uid, unmet);
  if (user !== undefined && user.uid !== 0 && user.gid === 0) {
    unmet.push({
      requirement: "sandbox-user",
      message: `The image's user ${SANDBOX_ACCOUNT} has primary gid 0, root's group: OpenShell refuses to run a sandbox with it. Give it another primary group in the base image.`,
    });
  }
  if (group !== undefined) checkExisting("group", group.gid, asked.gid, unmet);
  if (user !== undefined && group !== undefined) return { commands: [], added: [], unmet };

  let uid = user?.uid;
  let gid = group?.gid;
  let members: string[] = [];
  if (user === undefined && group === undefined) {
    ({ uid, gid } = pickBothIds(facts.users, facts.groups, asked));
  } else if (user === undefined) {
    uid = asked.uid ?? firstFreeId((id) => uidOwner(facts.users, id) === undefined);
  } else if (asked.gid !== undefined) {
    gid = asked.gid;
  } else if (gidOwner(facts.groups, user.gid) === undefined && user.gid !== 0) {
    gid = user.gid;
  } else {
    gid = firstFreeId((id) => gidOwner(facts.groups, id) === undefined);
  }
  if (user !== undefined && gid !== user.gid) members = [SANDBOX_ACCOUNT];

  if (user === undefined && uid !== undefined) {
    const owner = uidOwner(facts.users, uid);
    if (owner !== undefined) unmet.push(takenGap("sandbox-user", "uid", uid, owner, "user.uid"));
  }
  if (group === undefined && gid !== undefined) {
    const owner = gidOwner(facts.groups, gid);
    if (owner !== undefined) unmet.push(takenGap("sandbox-group", "gid", gid, owner, "user.gid"));
  }
  if (uid === undefined || gid === undefined) {
    unmet.push({
      requirement: user === undefined ? "sandbox-user" : "sandbox-group",
      message: "Every uid or gid from 1000 up is already taken in this image: choose user.uid and user.gid.",
    });
  }
  if (unmet.length > 0 || uid === undefined || gid === undefined) return { commands: [], added: [], unmet };

  const commands: string[] = [];
  const added: string[] = [];
  if (group === undefined) {
    const step = groupStep(facts, gid, members);
    commands.push(step.command);
    const member = members.length > 0 ? `, member ${members.join(",")}` : "";
    added.push(`group ${SANDBOX_ACCOUNT} (gid ${gid}${member}) ${step.how}`);
  }
  if (user === undefined) {
    const step = userStep(facts, uid, gid);
    commands.push(step.command, `mkdir -p ${SANDBOX_HOME}`, `chown ${uid}:${gid} ${SANDBOX_HOME}`);
    added.push(`user ${SANDBOX_ACCOUNT} (uid ${uid}, gid ${gid}, home ${SANDBOX_HOME}) ${step.how}`);
  }
  return { commands, added, unmet };
}

function checkExisting(
  kind: "user" | "group",
  id: number,
  asked: number | undefined,
  unmet: ImageGap[],
): void {
  const requirement = kind === "user" ? "sandbox-user" : "sandbox-group";
  const idName = kind === "user" ? "uid" : "gid";
  if (id === 0) {
    unmet.push({
      requirement,
      message: `The image's ${kind} ${SANDBOX_ACCOUNT} has ${idName} 0, which is root's: OpenShell refuses to run a sandbox as root. Remove or renumber it in the base image.`,
    });
  } else if (asked !== undefined && asked !== id) {
    unmet.push({
      requirement,
      message: `The image already has ${kind} ${SANDBOX_ACCOUNT} with ${idName} ${id}, not the ${idName} ${asked} asked for: leave user.${idName} out to keep it, or start from an image without it.`,
    });
  }
}

function takenGap(
  requirement: "sandbox-user" | "sandbox-group",
  idName: "uid" | "gid",
  id: number,
  owner: string,
  field: string,
): ImageGap {
  return {
    requirement,
    message: `${idName} ${id} is already ${requirement === "sandbox-user" ? "user" : "group"} ${owner} in this image: choose another ${field}, or leave it out to use the first free id from 1000.`,
  };
}

/** A tool's absolute path as a shell word, or undefined when the path cannot be used safely. */
function toolPath(tool: FoundTool | undefined): string | undefined {
  if (tool === undefined || !tool.path.startsWith("/") || hasLineBreak(tool.path)) return undefined;
  return shellQuote(tool.path);
}

function groupStep(
  facts: ImageFacts,
  gid: number,
  members: readonly string[],
): { command: string; how: string } {
  const tools = facts.accountTools;
  const groupadd = toolPath(tools.groupadd);
  const addgroup = toolPath(tools.addgroup);
  if (members.length === 0 && groupadd !== undefined) {
    return { command: `${groupadd} --gid ${gid} ${SANDBOX_ACCOUNT}`, how: "with groupadd" };
  }
  if (members.length === 0 && addgroup !== undefined && tools.addgroup?.flavour === "busybox") {
    return { command: `${addgroup} -g ${gid} ${SANDBOX_ACCOUNT}`, how: "with addgroup" };
  }
  if (members.length === 0 && addgroup !== undefined && tools.addgroup?.flavour === "debian") {
    return { command: `${addgroup} --gid ${gid} ${SANDBOX_ACCOUNT}`, how: "with addgroup" };
  }
  const line = `${SANDBOX_ACCOUNT}:x:${gid}:${members.join(",")}`;
  const shadowLine = `${SANDBOX_ACCOUNT}:!::${members.join(",")}`;
  return {
    command: `${appendLine(line, "/etc/group")} && if [ -e /etc/gshadow ]; then ${appendLine(shadowLine, "/etc/gshadow")}; fi`,
    how: "in /etc/group",
  };
}

function userStep(facts: ImageFacts, uid: number, gid: number): { command: string; how: string } {
  const tools = facts.accountTools;
  const useradd = toolPath(tools.useradd);
  const adduser = toolPath(tools.adduser);
  if (useradd !== undefined) {
    // --no-log-init: no lastlog/faillog entry, which for a large uid would be a huge sparse file.
    return {
      command: `${useradd} --uid ${uid} --gid ${gid} --home-dir ${SANDBOX_HOME} --no-create-home --shell ${SANDBOX_SHELL} --no-log-init ${SANDBOX_ACCOUNT}`,
      how: "with useradd",
    };
  }
  if (adduser !== undefined && tools.adduser?.flavour === "busybox") {
    // -D: no password (else it prompts); -H: no home yet (created below, owned by the user);
    // -G: the existing or just-created group as primary group, by name.
    return {
      command: `${adduser} -D -H -h ${SANDBOX_HOME} -s ${SANDBOX_SHELL} -G ${SANDBOX_ACCOUNT} -u ${uid} ${SANDBOX_ACCOUNT}`,
      how: "with adduser",
    };
  }
  if (adduser !== undefined && tools.adduser?.flavour === "debian") {
    // --disabled-password and --gecos '' answer the two questions Debian's adduser would ask.
    return {
      command: `${adduser} --uid ${uid} --gid ${gid} --home ${SANDBOX_HOME} --no-create-home --shell ${SANDBOX_SHELL} --disabled-password --gecos '' ${SANDBOX_ACCOUNT}`,
      how: "with adduser",
    };
  }
  const line = `${SANDBOX_ACCOUNT}:x:${uid}:${gid}::${SANDBOX_HOME}:${SANDBOX_SHELL}`;
  // A locked password ("!") and no aging fields: the nine fields shadow(5) defines.
  const shadowLine = `${SANDBOX_ACCOUNT}:!:::::::`;
  return {
    command: `${appendLine(line, "/etc/passwd")} && if [ -e /etc/shadow ]; then ${appendLine(shadowLine, "/etc/shadow")}; fi`,
    how: "in /etc/passwd",
  };
}

/** `printf` rather than `echo`: echo's handling of backslashes and `-n` differs between shells. */
function appendLine(line: string, file: string): string {
  return `printf '%s\\n' ${shellQuote(line)} >> ${file}`;
}
