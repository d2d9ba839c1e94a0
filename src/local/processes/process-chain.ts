import { readFile, readlink } from "node:fs/promises";

/** A process and the binary it runs, as the sandbox sees the path. */
export interface ProcessLink {
  pid: number;
  /** `/proc/<pid>/exe`: the path inside the sandbox's filesystem (never argv). */
  exe: string;
  /** The binary was deleted or replaced while the process ran (the kernel marks it "(deleted)"). */
  deleted: boolean;
}

/** The parent pid from `/proc/<pid>/stat` (after the command name, which may hold spaces and parens). */
export function parentPid(stat: string): number | undefined {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(rest[1]);
  return Number.isSafeInteger(ppid) ? ppid : undefined;
}

const DELETED = " (deleted)";

/** How far up the chain is followed: deeper than any real process tree, short of a loop. */
const MAX_DEPTH = 64;

/**
 * The process `pid` and its ancestors inside the same pid namespace (the sandbox's): the chain stops
 * at the sandbox's first process, whose parent is the engine's shim on the host. Undefined when
 * `pid` itself is gone; an ancestor that is gone ends the chain.
 */
export async function processChain(pid: number, proc = "/proc"): Promise<ProcessLink[] | undefined> {
  const namespace = await readlink(`${proc}/${pid}/ns/pid`).catch(() => undefined);
  if (namespace === undefined) return undefined;
  const chain: ProcessLink[] = [];
  let current = pid;
  while (chain.length < MAX_DEPTH) {
    const link = await linkOf(current, proc);
    if (link === undefined) break;
    chain.push(link);
    const stat = await readFile(`${proc}/${current}/stat`, "utf8").catch(() => undefined);
    const parent = stat === undefined ? undefined : parentPid(stat);
    if (parent === undefined || parent <= 0) break;
    const parentNamespace = await readlink(`${proc}/${parent}/ns/pid`).catch(() => undefined);
    if (parentNamespace !== namespace) break;
    current = parent;
  }
  return chain.length === 0 ? undefined : chain;
}

async function linkOf(pid: number, proc: string): Promise<ProcessLink | undefined> {
  const exe = await readlink(`${proc}/${pid}/exe`).catch(() => undefined);
  if (exe === undefined) return undefined;
  const deleted = exe.endsWith(DELETED);
  return { pid, exe: deleted ? exe.slice(0, -DELETED.length) : exe, deleted };
}
