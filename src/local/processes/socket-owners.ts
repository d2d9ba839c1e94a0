import { readdir, readFile, readlink } from "node:fs/promises";
import { type Endpoint, kernelSpellings, socketInode } from "./proc-net-tcp.js";

/** A proxied connection as the proxy sees it: the sandbox's side, and the proxy's own. */
export interface ConnectionTuple {
  /** The sandbox's address and source port (the proxy socket's remote side). */
  sandbox: Endpoint;
  /** The proxy's listening address and port (the proxy socket's local side). */
  proxy: Endpoint;
}

/** The processes holding one connection's socket in the sandbox's network namespace. */
export interface SocketOwners {
  inode: number;
  /** Ascending; empty when the socket was found but no process holds it any more. */
  pids: number[];
}

/** Reads a file or link under /proc, or undefined when the process is gone or hides it. */
async function quietly<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

/** The numeric entries of the proc root: every process this host runs. */
async function processIds(proc: string): Promise<number[]> {
  const names = await readdir(proc);
  return names.filter((name) => /^\d+$/.test(name)).map(Number);
}

/**
 * Finds which processes hold a proxied connection, from this host's /proc (the gateway must run as
 * root in the engine's host namespaces): the network namespace whose TCP table holds the
 * connection with the sandbox's address as its local side, then the processes of that namespace
 * with `socket:[inode]` among their open files. Only reads: nothing in the sandbox runs.
 *
 * The namespace found for a sandbox address is tried first next time, so a lookup usually reads one
 * TCP table; every lookup still lists the processes afresh, since the one connecting may have
 * started a moment ago. All reads are asynchronous (the thread pool), never blocking the proxy.
 */
export class SocketOwnerFinder {
  /** A sandbox address -> the network namespace (`net:[n]`) it was last found in. */
  private readonly namespaces = new Map<string, string>();
  /**
   * pid -> its network namespace, from earlier lookups: a process never changes namespace in a
   * sandbox (no CAP_SYS_ADMIN), so only new pids are read. A pid reused meanwhile could be read
   * wrong; a lookup that finds no owner is therefore done again with every pid read afresh.
   */
  private readonly netnsOf = new Map<number, string | undefined>();
  /** TCP table reads in flight, by namespace and table, with when each began. */
  private readonly reads = new Map<string, { startedAt: number; text: Promise<string | undefined> }>();

  constructor(private readonly proc = "/proc") {}

  /** The owners of the connection's socket; undefined when no namespace of this host has it. */
  async find(tuple: ConnectionTuple): Promise<SocketOwners | undefined> {
    const found = await this.search(tuple, true);
    if (found !== undefined && found.pids.length > 0) return found;
    return this.search(tuple, false);
  }

  private async search(tuple: ConnectionTuple, cached: boolean): Promise<SocketOwners | undefined> {
    const startedAt = performance.now();
    const local = kernelSpellings(tuple.sandbox);
    const remote = kernelSpellings(tuple.proxy);
    const pids = await processIds(this.proc);
    const own = await quietly(() => readlink(`${this.proc}/self/ns/net`));
    const links = await Promise.all(
      pids.map((pid) =>
        cached && this.netnsOf.has(pid)
          ? this.netnsOf.get(pid)
          : quietly(() => readlink(`${this.proc}/${pid}/ns/net`)),
      ),
    );
    const byNamespace = new Map<string, number[]>();
    this.netnsOf.clear();
    links.forEach((link, i) => {
      const pid = pids[i] as number;
      this.netnsOf.set(pid, link);
      // The gateway's own namespace holds the proxy's side of the connection, never the sandbox's.
      if (link === undefined || link === own) return;
      const list = byNamespace.get(link);
      if (list === undefined) byNamespace.set(link, [pid]);
      else list.push(pid);
    });
    const known = this.namespaces.get(tuple.sandbox.address);
    const order = [...byNamespace.keys()].sort((a, b) => (a === known ? -1 : b === known ? 1 : 0));
    for (const namespace of order) {
      const members = byNamespace.get(namespace) as number[];
      const inode = await this.inodeIn(namespace, members, local, remote, startedAt);
      if (inode === undefined) continue;
      this.namespaces.set(tuple.sandbox.address, namespace);
      return { inode, pids: await this.holders(members, inode) };
    }
    return undefined;
  }

  /** The socket's inode in the TCP tables of the namespace `members` share. */
  private async inodeIn(
    namespace: string,
    members: readonly number[],
    local: ReturnType<typeof kernelSpellings>,
    remote: ReturnType<typeof kernelSpellings>,
    since: number,
  ): Promise<number | undefined> {
    for (const table of ["tcp", "tcp6"] as const) {
      const l = local[table];
      const r = remote[table];
      if (l === undefined || r === undefined) continue;
      const text = await this.table(namespace, members, table, since);
      const inode = text === undefined ? undefined : socketInode(text, l, r);
      if (inode !== undefined) return inode;
    }
    return undefined;
  }

  /**
   * One of the namespace's TCP tables. Reading one walks the kernel's whole connection table (about
   * 4 ms on a busy host, whatever the namespace), so lookups at the same moment share a read: one
   * that started after `since` (when the asking lookup began, its connection already made) holds it.
   */
  private table(
    namespace: string,
    members: readonly number[],
    table: "tcp" | "tcp6",
    since: number,
  ): Promise<string | undefined> {
    const key = `${namespace} ${table}`;
    const shared = this.reads.get(key);
    if (shared !== undefined && shared.startedAt >= since) return shared.text;
    const startedAt = performance.now();
    const text = (async () => {
      // Any member reads the namespace's tables; the first may have exited since it was listed.
      for (const pid of members.slice(0, 3)) {
        const read = await quietly(() => readFile(`${this.proc}/${pid}/net/${table}`, "latin1"));
        if (read !== undefined) return read;
      }
      return undefined;
    })();
    const entry = { startedAt, text };
    this.reads.set(key, entry);
    void text.finally(() => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    });
    return text;
  }

  private async holders(members: readonly number[], inode: number): Promise<number[]> {
    const wanted = `socket:[${inode}]`;
    const found = await Promise.all(
      members.map(async (pid) => {
        const fds = (await quietly(() => readdir(`${this.proc}/${pid}/fd`))) ?? [];
        for (const fd of fds) {
          if ((await quietly(() => readlink(`${this.proc}/${pid}/fd/${fd}`))) === wanted) return pid;
        }
        return undefined;
      }),
    );
    return found.filter((pid): pid is number => pid !== undefined).sort((a, b) => a - b);
  }
}
