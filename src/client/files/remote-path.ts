import { posix } from "node:path";
import { InvalidArgumentError } from "../../errors.js";

/**
 * Checks a sandbox path at the public boundary and returns it normalized: absolute, no NUL (a shell
 * argument cannot carry one), no `.`/`..` segments or doubled slashes, no trailing slash. `/` itself
 * is refused where an operation would replace or remove it.
 */
export function remotePath(value: unknown, field: string, options: { allowRoot?: boolean } = {}): string {
  if (typeof value !== "string" || value === "") {
    throw new InvalidArgumentError(`${field} must be a non-empty absolute path in the sandbox`, { field });
  }
  if (value.includes("\0")) throw new InvalidArgumentError(`${field} must not contain NUL`, { field });
  if (!value.startsWith("/")) {
    throw new InvalidArgumentError(
      `${field} must be an absolute path in the sandbox (starting with "/"), got ${JSON.stringify(value)}`,
      { field },
    );
  }
  if (Buffer.byteLength(value, "utf8") > 4096) {
    throw new InvalidArgumentError(`${field} must be at most 4096 bytes (PATH_MAX)`, { field });
  }
  const normalized = posix.normalize(value).replace(/(.)\/+$/, "$1");
  if (normalized === "/" && !options.allowRoot) {
    throw new InvalidArgumentError(`${field} must not be "/" for this operation`, { field });
  }
  return normalized;
}

/** The directory holding `path` and its last segment (`path` is normalized and not `/`). */
export function splitPath(path: string): { dir: string; base: string } {
  return { dir: posix.dirname(path), base: posix.basename(path) };
}
