import { readFile } from "node:fs/promises";
import { GatewayConfigError } from "../../errors.js";

/** ENOENT, or ENOTDIR when a parent on the path is a file rather than a folder. */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** A file's bytes, or undefined when it does not exist; other failures (permissions) name the file. */
export async function readBytesIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw new GatewayConfigError(`cannot read ${file}: ${(err as Error).message}`, {
      source: file,
      cause: err,
    });
  }
}

/** A file's text, or undefined when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  return (await readBytesIfExists(file))?.toString("utf8");
}
