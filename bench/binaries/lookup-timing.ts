/**
 * The gateway's own time for each `binaries` verdict, taken inside this process: the embedded
 * gateway (OpenShell.local) runs here, bundled with this file, so its ProcessInspector is the class
 * imported below. The real methods run unchanged; they are only wrapped with a clock. Installed
 * before the gateway starts, since the proxy asks `forSandbox` when it loads a sandbox's policy.
 */
import { readFile } from "node:fs/promises";
import { type BinaryChecker, ProcessInspector } from "../../src/local/processes/process-inspector.js";
import { SocketOwnerFinder } from "../../src/local/processes/socket-owners.js";

/** Wall times in ms of the lookups made since {@link LookupTimes.reset}. */
export interface LookupTimes {
  /** One per connection checked: the whole verdict (socket owners, process chain, hashes, patterns). */
  readonly checks: number[];
  /** One per connection checked: finding the socket's owners (TCP table and /proc fd scan). */
  readonly finds: number[];
  reset(): void;
}

/** Wraps the inspector's `forSandbox` checkers and the owner finder's `find` with a clock. */
export function timeLookups(): LookupTimes {
  const checks: number[] = [];
  const finds: number[] = [];
  const forSandbox = ProcessInspector.prototype.forSandbox;
  ProcessInspector.prototype.forSandbox = function timedForSandbox(
    this: ProcessInspector,
    sandboxId: string,
  ): BinaryChecker {
    const checker = forSandbox.call(this, sandboxId);
    return {
      async check(tuple, rules) {
        const t = performance.now();
        try {
          return await checker.check(tuple, rules);
        } finally {
          checks.push(performance.now() - t);
        }
      },
    };
  };
  const find = SocketOwnerFinder.prototype.find;
  SocketOwnerFinder.prototype.find = async function timedFind(this: SocketOwnerFinder, tuple) {
    const t = performance.now();
    try {
      return await find.call(this, tuple);
    } finally {
      finds.push(performance.now() - t);
    }
  };
  return {
    checks,
    finds,
    reset() {
      checks.length = 0;
      finds.length = 0;
    },
  };
}

/**
 * Wall times in ms of `count` reads of this host's own TCP table: the floor of a lookup, since
 * reading any namespace's `/proc/<pid>/net/tcp` walks the kernel's whole connection hash table
 * (shared by all namespaces unless `net.ipv4.tcp_child_ehash_entries` gives them their own).
 */
export async function tableReads(count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await readFile("/proc/self/net/tcp", "latin1");
    times.push(performance.now() - t);
  }
  return times;
}

/** `net.ipv4.tcp_child_ehash_entries` (0: new namespaces share the host's table), or "unknown". */
export async function childEhashEntries(): Promise<string> {
  const read = await readFile("/proc/sys/net/ipv4/tcp_child_ehash_entries", "utf8").catch(() => undefined);
  return read?.trim() ?? "unknown";
}
