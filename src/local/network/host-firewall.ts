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
      if (
        !(
          error instanceof HostCommandError &&
          (error.missing || /ip6|IPv6|not supported/i.test(error.stderr))
        )
      )
        throw error;
    });
  }

  /** Removes the jumps and the chain; what is already gone is fine. */
  async remove(): Promise<void> {
    for (const tool of ["iptables", "ip6tables"] as const) {
      try {
        for (const hook of ["INPUT", "FORWARD"]) {
          // A jump inserted twice (two gateways raced on one state directory) is deleted twice.
          for (let n = 0; n < 8 && (await this.quietly(tool, ["-D", hook, ...this.jump()])); n++);
        }
        await this.quietly(tool, ["-F", this.rules.chain]);
        await this.quietly(tool, ["-X", this.rules.chain]);
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
    if (!(await this.quietly(tool, ["-N", chain]))) await this.iptables(tool, ["-F", chain]);
    for (const rule of rules) await this.iptables(tool, ["-A", chain, ...rule]);
    for (const hook of ["INPUT", "FORWARD"]) {
      if (!(await this.quietly(tool, ["-C", hook, ...this.jump()])))
        await this.iptables(tool, ["-I", hook, "1", ...this.jump()]);
    }
  }

  private iptables(tool: string, args: string[]): Promise<string> {
    // -w waits for the xtables lock: Docker and Podman change the tables too.
    return this.run(tool, ["-w", ...args]);
  }

  private async quietly(tool: string, args: string[]): Promise<boolean> {
    try {
      await this.iptables(tool, args);
      return true;
    } catch (error) {
      if (error instanceof HostCommandError && error.missing) throw error;
      return false;
    }
  }
}
