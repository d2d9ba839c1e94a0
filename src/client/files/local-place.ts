import { randomBytes } from "node:crypto";
import { lstat, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { hiddenStem } from "./send-file.js";

/** A hidden temporary beside a local path, on the same filesystem so a rename puts it in place. */
export function localTemporary(path: string): string {
  return join(
    dirname(path),
    `.${hiddenStem(basename(path))}openshell-${randomBytes(6).toString("hex")}.part`,
  );
}

/**
 * Moves a finished temporary directory to `destination`: renamed whole when the destination is new,
 * else merged at the top level (an entry of the same name is replaced), like the sandbox side.
 */
export async function placeLocalTree(temporary: string, destination: string): Promise<void> {
  const existing = await lstat(destination).catch(() => undefined);
  if (existing === undefined) {
    await rename(temporary, destination);
    return;
  }
  for (const name of await readdir(temporary)) {
    await rm(join(destination, name), { recursive: true, force: true });
    await rename(join(temporary, name), join(destination, name));
  }
  await rm(temporary, { recursive: true, force: true });
}
