/**
 * Who a container's `user` is, worked out the way runc and crun (Docker's and Podman's OCI runtimes)
 * work it out from the image's /etc/passwd and /etc/group, so that local mode knows the UID and GID
 * a sandbox will run as before anything of it runs, and hands the engine those numbers.
 *
 * The rules (runc's libcontainer/user, which Podman shares; checked against both engines):
 * - `user[:group]`. A user part that is a decimal number (an optional sign included, as Go's Atoi
 *   reads it: `+0` is 0) is always a UID, looked up by UID; anything else is a name, looked up by name.
 * - A user found in /etc/passwd brings its primary GID; a numeric UID that is not there runs with
 *   GID 0. A name that is not there is an error.
 * - An explicit group replaces the primary GID: numeric is a GID, else a name in /etc/group (not
 *   there: an error).
 * - A field of a passwd or group line that is not a number reads as 0.
 */

/** One line of /etc/passwd, as the runtimes read it. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** One line of /etc/group. */
export interface GroupEntry {
  name: string;
  gid: number;
}

/** An image's users and groups. */
export interface ImageAccounts {
  passwd: readonly PasswdEntry[];
  group: readonly GroupEntry[];
}

/** The UID and GID a user spec runs as, and where each came from (for messages). */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** How the GID was found: given, the user's primary group in /etc/passwd, or 0 by default. */
  gidFrom: "given" | "passwd" | "default";
}

export type UserResolution =
  | ({ ok: true } & ResolvedUser)
  | { ok: false; missing: "user" | "group"; name: string }
  | { ok: false; outOfRange: "user" | "group"; value: string };

/** The largest UID or GID the runtimes accept (they refuse the rest). */
const MAX_ID = 2 ** 31 - 1;

/** Go's strconv.Atoi: an optional sign and decimal digits, within 64 bits. */
function atoi(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Math.abs(value) < 2 ** 63 ? value : undefined;
}

/** A numeric field of a passwd or group line: what is not a number reads as 0, as the runtimes read it. */
function idField(text: string | undefined): number {
  const value = atoi((text ?? "").trim());
  return value === undefined ? 0 : value;
}

function lines(text: string): string[][] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => line.split(":"));
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map(([name = "", , uid, gid]) => ({ name, uid: idField(uid), gid: idField(gid) }));
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).map(([name = "", , gid]) => ({ name, gid: idField(gid) }));
}

/**
 * /etc/passwd and /etc/group read in one go (`cat /etc/passwd /etc/group`), told apart by their
 * shape: a passwd line has seven fields, a group line four. Lines of neither shape are left out.
 */
export function parseAccounts(text: string): ImageAccounts {
  const passwd: string[] = [];
  const group: string[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(":").length;
    if (fields === 7) passwd.push(line);
    else if (fields === 4) group.push(line);
  }
  return { passwd: parsePasswd(passwd.join("\n")), group: parseGroup(group.join("\n")) };
}

/** A user or group given as a number (then it needs no lookup to be known). */
export function isNumericId(text: string): boolean {
  return atoi(text) !== undefined;
}

/** Whether `user:group` can be resolved without the image's accounts: both given, both numeric. */
export function resolvesWithoutAccounts(user: string, group: string): boolean {
  return isNumericId(user) && isNumericId(group);
}

/**
 * The UID and GID `user` (with `group`, "" for none) runs as in an image with `accounts`. Without
 * accounts only a numeric user with a numeric group resolves; anything else is looked up, and an
 * empty list finds nothing.
 */
export function resolveUser(
  user: string,
  group: string,
  accounts: ImageAccounts | undefined,
): UserResolution {
  const passwd = accounts?.passwd ?? [];
  const groups = accounts?.group ?? [];
  const uidArg = atoi(user);
  // A numeric user is always a UID, even where a user has that number for a name.
  const entry = passwd.find((p) => (uidArg === undefined ? p.name === user : p.uid === uidArg));
  let uid: number;
  let gid = 0;
  let gidFrom: ResolvedUser["gidFrom"] = "default";
  if (entry !== undefined) {
    uid = entry.uid;
    gid = entry.gid;
    gidFrom = "passwd";
  } else if (uidArg !== undefined) {
    if (uidArg < 0 || uidArg > MAX_ID) return { ok: false, outOfRange: "user", value: user };
    uid = uidArg;
  } else {
    return { ok: false, missing: "user", name: user };
  }
  if (group !== "") {
    const gidArg = atoi(group);
    const found = groups.find((g) => (gidArg === undefined ? g.name === group : g.gid === gidArg));
    if (found !== undefined) gid = found.gid;
    else if (gidArg === undefined) return { ok: false, missing: "group", name: group };
    else if (gidArg < 0 || gidArg > MAX_ID) return { ok: false, outOfRange: "group", value: group };
    else gid = gidArg;
    gidFrom = "given";
  }
  return { ok: true, uid, gid, gidFrom };
}
