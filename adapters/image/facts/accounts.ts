import type { GroupAccount, UserAccount } from "./image-facts.js";

/** Parses `/etc/passwd`; lines that are not 7 colon-separated fields with numeric ids are skipped. */
export function parsePasswd(text: string): UserAccount[] {
  const users: UserAccount[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.split(":");
    if (fields.length !== 7) continue;
    const [name = "", , uid = "", gid = "", , home = "", shell = ""] = fields;
    if (name === "" || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue;
    users.push({ name, uid: Number(uid), gid: Number(gid), home, shell });
  }
  return users;
}

/** Parses `/etc/group`; lines that are not 4 colon-separated fields with a numeric gid are skipped. */
export function parseGroup(text: string): GroupAccount[] {
  const groups: GroupAccount[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.split(":");
    if (fields.length !== 4) continue;
    const [name = "", , gid = "", members = ""] = fields;
    if (name === "" || !/^\d+$/.test(gid)) continue;
    groups.push({
      name,
      gid: Number(gid),
      members: members.split(",").filter((member) => member !== ""),
    });
  }
  return groups;
}

/**
 * What uid and gid a `USER` value (`""`, `name`, `uid`, `name:group`, `uid:gid`) runs as in this
 * image, resolved the way the engines do (a name through /etc/passwd, a missing group part through
 * the user's primary group). `undefined` parts could not be resolved (a name the image does not have).
 */
export function resolveImageUser(
  user: string,
  users: readonly UserAccount[],
  groups: readonly GroupAccount[],
): { uid: number | undefined; gid: number | undefined } {
  if (user === "") return { uid: 0, gid: 0 };
  const [userPart = "", groupPart] = user.split(":", 2);
  const account = /^\d+$/.test(userPart)
    ? users.find((entry) => entry.uid === Number(userPart))
    : users.find((entry) => entry.name === userPart);
  const uid = /^\d+$/.test(userPart) ? Number(userPart) : account?.uid;
  let gid: number | undefined;
  if (groupPart === undefined || groupPart === "") gid = account?.gid ?? (uid === undefined ? undefined : 0);
  else if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
  else gid = groups.find((entry) => entry.name === groupPart)?.gid;
  return { uid, gid };
}
