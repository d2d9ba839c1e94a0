import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./schema.js";
import { STATE_ENTRIES } from "./state-dir.js";

/** The database file inside the state directory. */
export const STATE_DB_FILE = STATE_ENTRIES.database;

/** How long a writer waits for another process's write lock before giving up. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating when needed) the state database in `dir`.
 *
 * SQLite in WAL mode with `synchronous = NORMAL`: a process killed mid-write (SIGKILL included) leaves
 * either the whole transaction or none of it, and several processes may share the directory (readers
 * never block, writers queue for up to 10 s). NORMAL syncs at checkpoints rather than at every
 * commit: a power loss or OS crash may drop the last commits, never corrupt the file, and each write
 * stops blocking the event loop on an fsync (0.3 ms idle, up to 10 ms on a busy disk, measured in
 * bench/local), which every sandbox phase change and log batch would otherwise pay. The directory is 0700 and the files 0600 because
 * provider credentials live here.
 */
export function openStateDb(dir: string): Database.Database {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = join(dir, STATE_DB_FILE);
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db);
    // The WAL and shared-memory files inherit the umask; tighten them like the database itself.
    for (const name of [STATE_DB_FILE, `${STATE_DB_FILE}-wal`, `${STATE_DB_FILE}-shm`]) {
      const path = join(dir, name);
      if (existsSync(path)) chmodSync(path, 0o600);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
