import { mkdirSync, mkdtempSync, rmdirSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

/**
 * Where local mode keeps what the container runtime cannot hold: `$XDG_STATE_HOME/openshell/local`,
 * else `~/.local/state/openshell/local` (the XDG default for state that should survive restarts but
 * is not configuration).
 */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg?.startsWith("/") ? xdg : join(env.HOME ?? homedir(), ".local", "state");
  return join(base, "openshell", "local");
}

/**
 * Every name the gateway writes in its state directory, and nothing else: the one list an ephemeral
 * gateway removes, so a directory the user gave keeps whatever else the user keeps there. A module
 * that writes a new file or folder there takes its name from here.
 */
export const STATE_ENTRIES = {
  /** The SQLite database, with its WAL, shared-memory and (outside WAL mode) journal files. */
  database: "state.db",
  databaseCompanions: ["state.db-wal", "state.db-shm", "state.db-journal"],
  gatewayId: "gateway-id",
  egressPort: "egress-port",
  /** The egress CA and the certificates sandboxes mount. */
  egressTls: "egress-tls",
  /** The listener's CA, server and client certificates. */
  listenTls: "tls",
} as const;

const ALL_ENTRIES: readonly string[] = [
  STATE_ENTRIES.database,
  ...STATE_ENTRIES.databaseCompanions,
  STATE_ENTRIES.gatewayId,
  STATE_ENTRIES.egressPort,
  STATE_ENTRIES.egressTls,
  STATE_ENTRIES.listenTls,
];

/**
 * A state directory and what of it the gateway made: `made` is the outermost directory it created
 * (the temporary one, or the first missing part of a path it was given), undefined when the whole
 * path was there before.
 */
export interface StateDirClaim {
  readonly dir: string;
  readonly made: string | undefined;
  /** The directory is a temporary one the gateway made for itself: all of it is the gateway's. */
  readonly temporary: boolean;
}

/** A fresh temporary state directory (0700), for an ephemeral gateway given none. */
export function claimTemporaryStateDir(): StateDirClaim {
  const dir = mkdtempSync(join(tmpdir(), "openshell-local-"));
  return { dir, made: dir, temporary: true };
}

/** Makes `dir` (0700) where it is missing, remembering the outermost directory this made. */
export function claimStateDir(dir: string): StateDirClaim {
  const made = mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { dir, made, temporary: false };
}

/**
 * Removes what the gateway made: a temporary directory whole; in any other directory only the
 * gateway's own entries, then each directory the gateway made for the path while it is empty. A
 * directory that was there before, and anything of the user's, stay.
 */
export function releaseStateDir(claim: StateDirClaim): void {
  if (claim.temporary) {
    rmSync(claim.dir, { recursive: true, force: true });
    return;
  }
  for (const name of ALL_ENTRIES) rmSync(join(claim.dir, name), { recursive: true, force: true });
  if (claim.made === undefined) return;
  const top = resolve(claim.made);
  for (let dir = resolve(claim.dir); ; dir = dirname(dir)) {
    // Never above what was made (a path outside it would mean `made` is not an ancestor).
    if (relative(top, dir).startsWith("..")) return;
    try {
      rmdirSync(dir);
    } catch (error) {
      // Not empty: something of the user's is in it, so it and its parents stay.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return;
    }
    if (dir === top) return;
  }
}
