import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";

/** The environment detection reads: `process.env`, or a test's stand-in. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Everything a detection strategy may learn about the machine. Strategies read only this, never
 * `process.env` or `node:os`, so a test can describe any machine (a Mac with Colima, a rootless
 * Linux user) without being one.
 */
export interface DetectionContext {
  env: Env;
  platform: NodeJS.Platform;
  homedir: string;
  /** Numeric user id, for `/run/user/<uid>`; undefined where there is none (Windows). */
  uid: number | undefined;
  /** A file's text, or undefined when it does not exist. Other failures (permissions) throw. */
  readFile(file: string): Promise<string | undefined>;
  /** True when something exists at the path. */
  exists(file: string): Promise<boolean>;
  /** Entry names in a folder; empty when the folder does not exist or is not a folder. */
  listDir(dir: string): Promise<string[]>;
  /** The path with symlinks resolved, or the path unchanged when it cannot be resolved. */
  realPath(file: string): Promise<string>;
}

/** A variable's value with surrounding whitespace removed; blank counts as unset. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Path rules of the platform detection describes (not necessarily the one running the test). */
export function pathsFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === "win32" ? path.win32 : path.posix;
}

/**
 * A folder named by a variable such as XDG_RUNTIME_DIR. A relative value is ignored, as the XDG
 * spec asks, so a stray value cannot make detection depend on the current directory.
 */
export function envDir(ctx: DetectionContext, name: string): string | undefined {
  const value = envValue(ctx.env, name);
  return value !== undefined && pathsFor(ctx.platform).isAbsolute(value) ? value : undefined;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function existsOnDisk(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function listDirOnDisk(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function realPathOnDisk(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return file;
  }
}

/** The context of this process, with any field the caller supplies taking its place. */
export function detectionContext(overrides: Partial<DetectionContext> = {}): DetectionContext {
  return {
    env: overrides.env ?? process.env,
    platform: overrides.platform ?? process.platform,
    homedir: overrides.homedir ?? homedir(),
    uid: "uid" in overrides ? overrides.uid : process.getuid?.(),
    readFile: overrides.readFile ?? readTextIfExists,
    exists: overrides.exists ?? existsOnDisk,
    listDir: overrides.listDir ?? listDirOnDisk,
    realPath: overrides.realPath ?? realPathOnDisk,
  };
}
