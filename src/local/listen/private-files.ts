import { randomBytes } from "node:crypto";
import { chmod, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

/** Owner only: what the openshell CLI uses for folders holding credentials. */
export const privateDirMode = 0o700;
/** Owner read/write: what the CLI uses for private keys. */
export const privateFileMode = 0o600;
/** Readable by all: certificates and metadata hold nothing secret. */
export const publicFileMode = 0o644;

/**
 * Makes `dir` (and any missing parents) and sets it to 0700. `mkdir`'s mode is masked by the umask
 * and ignored for a folder that already exists, so the mode is set again explicitly.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: privateDirMode });
  await chmod(dir, privateDirMode);
}

/**
 * Writes `file` so that a reader sees either the old content or the new, never half of it, and a
 * key is never readable by others even for a moment: the data goes to a temporary file in the same
 * folder (created with `mode`), which is then renamed over the target.
 */
export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // `wx`: never write through a file (or link) someone placed at the temporary name.
    await writeFile(temp, data, { mode, flag: "wx" });
    // The creation mode is masked by the umask; the exact mode matters for keys.
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * True when group or others may read `file`. Always false on Windows, where POSIX mode bits do not
 * describe who can read a file.
 */
export async function readableByOthers(file: string): Promise<boolean> {
  if (process.platform === "win32") return false;
  return ((await stat(file)).mode & 0o077) !== 0;
}
