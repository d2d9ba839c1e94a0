import type { GroupAccount, UserAccount } from "../facts/image-facts.js";

/** The first id given to the sandbox user and group: the conventional first regular id. */
export const FIRST_REGULAR_ID = 1000;
/**
 * The largest uid/gid preparation accepts (2^31-2): ids stay within a signed 32-bit int, which some
 * tools store them in, with that type's largest value left out. Ids below it that the image already
 * uses (65534, nobody) are refused by the check against the image, not by this bound.
 */
export const MAX_ID = 2 ** 31 - 2;

/** Who already holds a uid or gid in the image (undefined when it is free). */
export function uidOwner(users: readonly UserAccount[], uid: number): string | undefined {
  return users.find((user) => user.uid === uid)?.name;
}

export function gidOwner(groups: readonly GroupAccount[], gid: number): string | undefined {
  return groups.find((group) => group.gid === gid)?.name;
}

/**
 * The first id from {@link FIRST_REGULAR_ID} on for which `free` holds; undefined if none does. Each
 * id that is not free belongs to an account, so this stops within (accounts + 1) steps.
 */
export function firstFreeId(free: (id: number) => boolean): number | undefined {
  for (let id = FIRST_REGULAR_ID; id <= MAX_ID; id++) if (free(id)) return id;
  return undefined;
}

/**
 * The uid and gid for a sandbox user and group that must both be created. Asked-for ids are kept
 * as given; a missing one takes the other's value when that is free too (uid = gid reads well and
 * is what the tools would pick), else the first free id; with neither asked for, the first id free
 * as both a uid and a gid.
 */
export function pickBothIds(
  users: readonly UserAccount[],
  groups: readonly GroupAccount[],
  asked: { uid?: number | undefined; gid?: number | undefined },
): { uid: number | undefined; gid: number | undefined } {
  const uidFree = (id: number) => uidOwner(users, id) === undefined;
  const gidFree = (id: number) => gidOwner(groups, id) === undefined;
  if (asked.uid === undefined && asked.gid === undefined) {
    const both = firstFreeId((id) => uidFree(id) && gidFree(id));
    return { uid: both, gid: both };
  }
  const uid = asked.uid ?? (asked.gid !== undefined && uidFree(asked.gid) ? asked.gid : firstFreeId(uidFree));
  const gid = asked.gid ?? (asked.uid !== undefined && gidFree(asked.uid) ? asked.uid : firstFreeId(gidFree));
  return { uid, gid };
}
