import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostCommandError, runHostCommand } from "../../../src/local/network/host-command.js";
import {
  HostFirewall,
  interfaceExists,
  sweepStaleFirewallChains,
} from "../../../src/local/network/host-firewall.js";

/**
 * The host firewall against this host's real iptables (and ip6tables when it has them): what
 * install() leaves in the tables, that remove() takes all of it back, and that the sweep removes the
 * chain of a bridge that is gone and leaves the one of a bridge that is there. Needs root: outside CI
 * a machine without it skips; under CI=true it fails saying what is missing.
 */
const prerequisite = await missingPrerequisite();
if (prerequisite !== undefined && process.env.CI !== "true") {
  console.warn(`host firewall integration test skipped: ${prerequisite}`);
}

describe.skipIf(prerequisite !== undefined && process.env.CI !== "true")(
  "the host firewall on this host",
  () => {
    // Unique per run, so two runs on one machine do not meet; 198.18.0.0/15 is for benchmarks.
    const bridges = [`osfw${process.pid}a`, `osfw${process.pid}b`];
    const hostAddress = "198.18.77.1";
    const newChain = () => `OPENSHELL-${randomBytes(8).toString("hex")}`;
    const installed: HostFirewall[] = [];
    let ipv6 = false;

    const firewall = (chain: string, bridge: string, openPorts = [3128]) => {
      const made = new HostFirewall({ chain, bridge, hostAddress, openPorts });
      installed.push(made);
      return made;
    };
    const listing = (tool: string, chain?: string) =>
      runHostCommand(tool, ["-w", "-S", ...(chain === undefined ? [] : [chain])]).then((out) =>
        out.split("\n").filter((line) => line !== ""),
      );
    const tools = () => (ipv6 ? ["iptables", "ip6tables"] : ["iptables"]);
    /** Every line of both hooks and of the chain itself that names `chain`, in one table. */
    const linesOf = async (tool: string, chain: string) =>
      (await listing(tool)).filter((line) => line.split(" ").includes(chain));

    beforeAll(async () => {
      if (prerequisite !== undefined) {
        throw new Error(
          `the host firewall integration test needs root with iptables and ip: ${prerequisite}`,
        );
      }
      ipv6 = await runHostCommand("ip6tables", ["-w", "-S", "INPUT"]).then(
        () => true,
        () => false,
      );
      for (const bridge of bridges) {
        await runHostCommand("ip", ["link", "add", "name", bridge, "type", "bridge"]);
      }
      await runHostCommand("ip", ["address", "add", `${hostAddress}/24`, "dev", bridges[0] as string]);
    });

    afterAll(async () => {
      for (const made of installed) await made.remove().catch(() => undefined);
      for (const bridge of bridges) {
        if (interfaceExists(bridge))
          await runHostCommand("ip", ["link", "del", bridge]).catch(() => undefined);
      }
    });

    it("installs the chain and its jumps, again without doubling anything, and removes all of it", async () => {
      const chain = newChain();
      const bridge = bridges[0] as string;
      const made = firewall(chain, bridge);
      await made.install();

      expect(await listing("iptables", chain)).toEqual([
        `-N ${chain}`,
        `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
        `-A ${chain} -d ${hostAddress}/32 -p tcp -m tcp --dport 3128 -j ACCEPT`,
        `-A ${chain} -p tcp -j REJECT --reject-with tcp-reset`,
        `-A ${chain} -j REJECT --reject-with icmp-port-unreachable`,
      ]);
      if (ipv6) {
        expect(await listing("ip6tables", chain)).toEqual([
          `-N ${chain}`,
          `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
          `-A ${chain} -p tcp -j REJECT --reject-with tcp-reset`,
          `-A ${chain} -j REJECT --reject-with icmp6-port-unreachable`,
        ]);
      }
      for (const tool of tools()) {
        for (const hook of ["INPUT", "FORWARD"]) {
          expect(await listing(tool, hook)).toContain(`-A ${hook} -i ${bridge} -j ${chain}`);
        }
      }

      // A restarted gateway installs again, with another proxy port.
      const before = await linesOf("iptables", chain);
      await firewall(chain, bridge, [4128]).install();
      const after = await linesOf("iptables", chain);
      expect(after).toHaveLength(before.length);
      expect(after).toContain(`-A ${chain} -d ${hostAddress}/32 -p tcp -m tcp --dport 4128 -j ACCEPT`);
      expect(after.filter((line) => line.startsWith("-A INPUT "))).toHaveLength(1);

      await made.remove();
      for (const tool of tools()) expect(await linesOf(tool, chain)).toEqual([]);
      await made.remove();
    });

    it("sweeps the chain whose bridge is gone, and leaves the one whose bridge is there", async () => {
      const [gone, kept] = [newChain(), newChain()];
      await firewall(gone, bridges[0] as string).install();
      await firewall(kept, bridges[1] as string).install();
      await runHostCommand("ip", ["link", "del", bridges[0] as string]);
      expect(interfaceExists(bridges[0] as string)).toBe(false);

      // Other stale chains on this host (a killed gateway's) may go too: only these two are ours to check.
      expect(await sweepStaleFirewallChains()).toContain(gone);
      for (const tool of tools()) {
        expect(await linesOf(tool, gone), tool).toEqual([]);
        const left = await linesOf(tool, kept);
        expect(left, tool).toContain(`-N ${kept}`);
        expect(left, tool).toContain(`-A INPUT -i ${bridges[1]} -j ${kept}`);
        expect(left, tool).toContain(`-A FORWARD -i ${bridges[1]} -j ${kept}`);
      }
      expect(await sweepStaleFirewallChains()).not.toContain(gone);
    });
  },
);

/** Why this host cannot run the test (not root, no iptables or ip), or undefined when it can. */
async function missingPrerequisite(): Promise<string | undefined> {
  if (process.platform !== "linux") return `it runs on Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "it must run as root (it changes iptables and makes bridges)";
  for (const [tool, args] of [
    ["iptables", ["-w", "-S", "INPUT"]],
    ["ip", ["link", "show", "lo"]],
  ] as const) {
    try {
      await runHostCommand(tool, args);
    } catch (error) {
      const why = error instanceof HostCommandError && error.missing ? "is not installed" : "does not work";
      return `${tool} ${why} (${(error as Error).message})`;
    }
  }
  return undefined;
}
