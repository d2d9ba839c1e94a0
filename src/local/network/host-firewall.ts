import { existsSync } from "node:fs";
import { type HostCommand, HostCommandError, runHostCommand } from "./host-command.js";

/** What the sandboxes of one gateway may reach on this host: the egress proxy, and nothing else. */
export interface HostFirewallRules {
  /** iptables chain of the gateway (at most 28 characters). */
  chain: string;
  /** The Linux bridge of the sandbox network: every rule is about traffic coming in from it. */
  bridge: string;
  /** The host's address on the sandbox network, where the proxy listens. */
  hostAddress: string;
  /** TCP ports open to the sandboxes on `hostAddress`. */
  openPorts: readonly number[];
}

/**
 * The host firewall that keeps sandboxes off this host. An internal network stops forwarding beyond
 * the host, but the host itself still answers on every address it has (Docker even leaves a default
 * route to it), so any service listening on 0.0.0.0 would be one direct connection away. The
 * gateway's chain, jumped to from INPUT and FORWARD for traffic coming in from the sandbox bridge,
 * accepts replies to connections the host opened (forwards), new connections to the proxy port,
 * and rejects everything else: connections to other host addresses and ports, and sandbox-to-sandbox
 * traffic. IPv6 gets the same chain without the proxy (sandboxes only have link-local IPv6, which
 * would otherwise reach the host's services on `::`).
 */
export class HostFirewall {
  constructor(
    private readonly rules: HostFirewallRules,
    private readonly run: HostCommand = runHostCommand,
  ) {}

  /** Installs (or replaces) the chain and its jumps; idempotent, so a restarted gateway re-applies it. */
  async install(): Promise<void> {
    const { hostAddress, openPorts } = this.rules;
    await this.table("iptables", [
      ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
      ...openPorts.map((port) => ["-p", "tcp", "-d", hostAddress, "--dport", String(port), "-j", "ACCEPT"]),
      ["-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
      ["-j", "REJECT", "--reject-with", "icmp-port-unreachable"],
    ]);
    await this.table("ip6tables", [
      ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
      ["-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
      ["-j", "REJECT"],
    ]).catch((error) => {
      // A host without IPv6 netfilter has no IPv6 path to guard.
      if (!ipv6Unavailable(error)) throw error;
    });
  }

  /** Removes the jumps and the chain; what is already gone is fine. */
  async remove(): Promise<void> {
    for (const tool of ["iptables", "ip6tables"] as const) {
      try {
        for (const hook of ["INPUT", "FORWARD"]) {
          // A jump inserted twice (two gateways raced on one state directory) is deleted twice.
          for (let n = 0; n < 8 && (await quietly(this.run, tool, ["-D", hook, ...this.jump()])); n++);
        }
        await quietly(this.run, tool, ["-F", this.rules.chain]);
        await quietly(this.run, tool, ["-X", this.rules.chain]);
      } catch (error) {
        if (!(error instanceof HostCommandError && error.missing)) throw error;
      }
    }
  }

  private jump(): string[] {
    return ["-i", this.rules.bridge, "-j", this.rules.chain];
  }

  private async table(tool: "iptables" | "ip6tables", rules: string[][]): Promise<void> {
    const { chain } = this.rules;
    // -N fails when the chain exists (a restart): flushing it then gives the same fresh chain.
    if (!(await quietly(this.run, tool, ["-N", chain]))) await iptables(this.run, tool, ["-F", chain]);
    for (const rule of rules) await iptables(this.run, tool, ["-A", chain, ...rule]);
    for (const hook of ["INPUT", "FORWARD"]) {
      if (!(await quietly(this.run, tool, ["-C", hook, ...this.jump()])))
        await iptables(this.run, tool, ["-I", hook, "1", ...this.jump()]);
    }
  }
}

/** A jump as `iptables -S` prints the ones {@link HostFirewall.install} makes (no wildcard bridges). */
const GATEWAY_JUMP = /^-A (INPUT|FORWARD) -i ([A-Za-z0-9_.-]{1,15}) -j (OPENSHELL-[0-9a-f]{16})$/;

/** Whether this host has a network interface of that name. */
export const interfaceExists = (name: string): boolean => existsSync(`/sys/class/net/${name}`);

/**
 * Removes the chains of gateways that died without removing them (SIGKILL): their containers and
 * network were reaped since, so the bridge their jumps name is gone. A chain is only known by its
 * jumps: one without any is left alone, since it may be a gateway's install half way through, and
 * so is every chain with a jump whose bridge still exists. Another gateway sweeping at the same time
 * is fine: what it removed first is skipped.
 *
 * @returns the chains removed (from iptables, ip6tables or both)
 */
export async function sweepStaleFirewallChains(
  run: HostCommand = runHostCommand,
  bridgeExists: (bridge: string) => boolean = interfaceExists,
): Promise<string[]> {
  const removed = new Set<string>();
  for (const tool of ["iptables", "ip6tables"] as const) {
    let listed: string;
    try {
      listed = await iptables(run, tool, ["-S"]);
    } catch (error) {
      // No iptables: no chains to sweep.
      if (
        (error instanceof HostCommandError && error.missing) ||
        (tool === "ip6tables" && ipv6Unavailable(error))
      )
        continue;
      throw error;
    }
    const jumps = new Map<string, { hook: string; bridge: string }[]>();
    for (const line of listed.split("\n")) {
      const [, hook, bridge, chain] = GATEWAY_JUMP.exec(line.trim()) ?? [];
      if (hook === undefined || bridge === undefined || chain === undefined) continue;
      jumps.set(chain, [...(jumps.get(chain) ?? []), { hook, bridge }]);
    }
    for (const [chain, from] of jumps) {
      if (from.some(({ bridge }) => bridgeExists(bridge))) continue;
      for (const { hook, bridge } of from) await quietly(run, tool, ["-D", hook, "-i", bridge, "-j", chain]);
      await quietly(run, tool, ["-F", chain]);
      if (await quietly(run, tool, ["-X", chain])) removed.add(chain);
    }
  }
  return [...removed];
}

/**
 * No ip6tables, or a kernel without IPv6 netfilter ("can't initialize ip6tables table" from the
 * legacy backend, "Protocol/Address family not supported" from nf_tables): nothing to guard or sweep
 * there. Any other failure is real (ip6tables names itself in every message, so that is no test).
 */
function ipv6Unavailable(error: unknown): boolean {
  return (
    error instanceof HostCommandError &&
    (error.missing || /can't initialize|not supported/i.test(error.stderr))
  );
}

function iptables(run: HostCommand, tool: string, args: string[]): Promise<string> {
  // -w waits for the xtables lock: Docker and Podman change the tables too.
  return run(tool, ["-w", ...args]);
}

/** Runs the command; false when it failed, except for a missing tool, which is thrown. */
async function quietly(run: HostCommand, tool: string, args: string[]): Promise<boolean> {
  try {
    await iptables(run, tool, args);
    return true;
  } catch (error) {
    if (error instanceof HostCommandError && error.missing) throw error;
    return false;
  }
}
