import { lstat, readlink } from "node:fs/promises";
import { posix } from "node:path";
import type { ProcessLink } from "./process-chain.js";

/**
 * One `binaries[].path` of a rule, as upstream reads it: without `*` an exact path whose symlinks
 * are resolved inside the sandbox (`/bin/sh` in Debian is `/usr/bin/dash`), else a glob where `*`
 * is one path segment and `**` any number of them.
 */
export interface BinaryPattern {
  path: string;
  glob?: RegExp;
}

/** Compiles a rule's binaries; `problem(i, why)` builds the error for an unusable one. */
export function compileBinaryPatterns(
  binaries: readonly { path: string }[],
  problem: (index: number, why: string) => Error,
): BinaryPattern[] {
  return binaries.map(({ path }, i) => {
    if (path.trim() === "") throw problem(i, "is empty: give the binary's absolute path, e.g. /usr/bin/curl");
    if (path.includes("\0")) throw problem(i, "holds a NUL character");
    if (!path.includes("*")) {
      if (!path.startsWith("/")) {
        throw problem(
          i,
          `${JSON.stringify(path)} is not an absolute path: a process's binary is always one (e.g. /usr/bin/curl)`,
        );
      }
      return { path };
    }
    return { path, glob: globExpression(path) };
  });
}

function globExpression(path: string): RegExp {
  let source = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === "*" && path[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (c === "*") {
      source += "[^/]*";
    } else {
      source += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/** How many symlinks a path may pass through before it is taken as a loop (Linux's own limit). */
const MAX_LINKS = 40;

/**
 * `path` with its symlinks resolved inside the filesystem rooted at `root` (`/proc/<pid>/root`),
 * absolute link targets included; a part that does not exist ends the resolution there.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  let pending = path.split("/").filter((part) => part !== "" && part !== ".");
  let resolved = "/";
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === "..") {
      resolved = posix.dirname(resolved);
      continue;
    }
    const next = posix.join(resolved, part);
    const info = await lstat(`${root}${next}`).catch(() => undefined);
    if (info === undefined) return posix.join(next, ...pending);
    if (!info.isSymbolicLink()) {
      resolved = next;
      continue;
    }
    if (++links > MAX_LINKS) return posix.join(next, ...pending);
    const target = await readlink(`${root}${next}`);
    const parts = target.split("/").filter((p) => p !== "" && p !== ".");
    if (target.startsWith("/")) resolved = "/";
    pending = [...parts, ...pending];
  }
  return resolved;
}

/** The first of `chain` (the process, then its ancestors) a pattern matches, and which pattern. */
export async function matchChain(
  patterns: readonly BinaryPattern[],
  chain: readonly ProcessLink[],
  root: string,
): Promise<{ link: ProcessLink; pattern: BinaryPattern } | undefined> {
  const exact = await Promise.all(
    patterns.map(async (p) =>
      p.glob === undefined ? new Set([p.path, await resolveInRoot(root, p.path)]) : undefined,
    ),
  );
  for (const link of chain) {
    for (const [i, pattern] of patterns.entries()) {
      const paths = exact[i];
      if (paths !== undefined ? paths.has(link.exe) : (pattern.glob as RegExp).test(link.exe)) {
        return { link, pattern };
      }
    }
  }
  return undefined;
}
