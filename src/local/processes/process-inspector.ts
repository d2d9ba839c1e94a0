import { BinaryHashes } from "./binary-hashes.js";
import { type BinaryPattern, matchChain } from "./binary-patterns.js";
import { BinaryPins } from "./binary-pins.js";
import { type ProcessLink, processChain } from "./process-chain.js";
import { type ConnectionTuple, SocketOwnerFinder } from "./socket-owners.js";

export type { ConnectionTuple } from "./socket-owners.js";

/** What a connection's binaries allow: rules whose `binaries` the connecting process misses, and why. */
export interface BinaryVerdicts {
  /** Rule name -> one sentence naming the binary and the rule. */
  denied: ReadonlyMap<string, string>;
  /** The process that connected, for messages (`/usr/bin/curl (pid 42)`); undefined when none was found. */
  who?: string;
}

/** Checks a sandbox's connections against `binaries` rules. */
export interface BinaryChecker {
  /** Every rule of `rules` (name -> its compiled binaries) the process behind `tuple` does not satisfy. */
  check(
    tuple: ConnectionTuple,
    rules: ReadonlyMap<string, readonly BinaryPattern[]>,
  ): Promise<BinaryVerdicts>;
}

const short = (hash: string) => hash.slice(0, 16);

function describe(chain: readonly ProcessLink[]): string {
  const [self, ...ancestors] = chain as [ProcessLink, ...ProcessLink[]];
  const via = ancestors.length === 0 ? "" : `, started by ${ancestors.map((a) => a.exe).join(" < ")}`;
  return `${self.exe} (pid ${self.pid}${via})`;
}

/**
 * Who opened a proxied connection, seen from this host's /proc (Linux, the gateway as root, a
 * rootful engine on this host): the socket's owners, their binaries and ancestors in the sandbox,
 * each binary's SHA-256 pinned per sandbox and path on first use. One per gateway; pins stay per
 * sandbox until {@link forget}.
 */
export class ProcessInspector {
  private readonly owners: SocketOwnerFinder;
  private readonly hashes: BinaryHashes;
  private readonly pins = new BinaryPins();

  constructor(private readonly proc = "/proc") {
    this.owners = new SocketOwnerFinder(proc);
    this.hashes = new BinaryHashes(proc);
  }

  /** The checker for one sandbox's connections. */
  forSandbox(sandboxId: string): BinaryChecker {
    return { check: (tuple, rules) => this.check(sandboxId, tuple, rules) };
  }

  /** The sandbox is gone: its pins go with it. */
  forget(sandboxId: string): void {
    this.pins.forget(sandboxId);
  }

  private async check(
    sandboxId: string,
    tuple: ConnectionTuple,
    rules: ReadonlyMap<string, readonly BinaryPattern[]>,
  ): Promise<BinaryVerdicts> {
    const all = (why: string, who?: string): BinaryVerdicts => ({
      denied: new Map([...rules.keys()].map((rule) => [rule, `policy_denied: ${why}`])),
      ...(who === undefined ? {} : { who }),
    });
    const found = await this.owners.find(tuple);
    const from = `${tuple.sandbox.address}:${tuple.sandbox.port}`;
    if (found === undefined) {
      return all(`the gateway found no process of the sandbox holding the connection from ${from}`);
    }
    const chains = (await Promise.all(found.pids.map((pid) => processChain(pid, this.proc)))).filter(
      (chain): chain is ProcessLink[] => chain !== undefined,
    );
    const first = chains[0];
    if (first === undefined)
      return all(`no process of the sandbox holds the connection from ${from} any more`);
    const binaries = [...new Set(chains.map((chain) => (chain[0] as ProcessLink).exe))];
    if (binaries.length > 1) {
      return all(
        `processes running different binaries (${binaries.join(", ")}) hold the connection from ${from}`,
      );
    }
    const who = describe(first);
    const changed = await this.changedBinary(sandboxId, first);
    if (changed !== undefined) return all(changed, who);
    const root = `${this.proc}/${(first[0] as ProcessLink).pid}/root`;
    const denied = new Map<string, string>();
    for (const [rule, patterns] of rules) {
      const match = await matchChain(patterns, first, root);
      if (match === undefined) {
        const listed = patterns.map((p) => p.path).join(", ");
        denied.set(
          rule,
          `policy_denied: binary ${who} is not in binaries of rule ${JSON.stringify(rule)} (${listed}), nor is any process that started it`,
        );
      }
    }
    return { denied, who };
  }

  /** Why the connection is refused for a binary whose hash changed since first use, or undefined. */
  private async changedBinary(sandboxId: string, chain: readonly ProcessLink[]): Promise<string | undefined> {
    for (const link of chain) {
      let hash: string;
      try {
        hash = await this.hashes.of(link.pid);
      } catch {
        return `the binary of pid ${link.pid} (${link.exe}) could not be read to check its SHA-256`;
      }
      const pinned = this.pins.check(sandboxId, link.exe, hash);
      if (pinned !== undefined) {
        return (
          `binary ${link.exe} (pid ${link.pid}) has SHA-256 ${short(hash)}..., but the sandbox first used ` +
          `${link.exe} with ${short(pinned)}...: it was replaced, and stays denied for this sandbox`
        );
      }
    }
    return undefined;
  }
}
