import { userInfo } from "node:os";

/** Upstream's identity provider name for a local development identity (SEMANTICS §12). */
export const LOCAL_IDENTITY_PROVIDER = "local_dev";

/** The platform role of a gateway's administrators, as upstream reports it in `roles`. */
export const ADMIN_ROLE = "admin";

/** Who local mode takes every caller to be. */
export interface LocalUser {
  subject: string;
  displayName: string;
  roles: string[];
  scopes: string[];
  identityProvider: string;
}

/**
 * The one user of a local gateway: the person who started it, who can do everything it serves, so
 * a platform admin (as every caller of a gateway without OIDC is). Local mode authenticates nobody:
 * whoever reaches it (in process, or on loopback with its client certificate) acts as this user.
 *
 * The subject is the OS account name; an account without a name (a UID with no passwd entry, as in
 * some containers) is `uid-<n>`, and `USER` is tried before that.
 */
export function localUser(
  lookup: () => { username: string; uid: number } = userInfo,
  env: NodeJS.ProcessEnv = process.env,
): LocalUser {
  const subject = accountName(lookup, env);
  return {
    subject,
    displayName: subject,
    roles: [ADMIN_ROLE],
    scopes: [],
    identityProvider: LOCAL_IDENTITY_PROVIDER,
  };
}

function accountName(lookup: () => { username: string; uid: number }, env: NodeJS.ProcessEnv): string {
  try {
    const { username } = lookup();
    if (username !== "") return username;
  } catch {
    // os.userInfo() throws when the UID has no passwd entry: fall back to what the environment says.
  }
  const user = env.USER?.trim();
  if (user) return user;
  return `uid-${process.getuid?.() ?? "unknown"}`;
}
