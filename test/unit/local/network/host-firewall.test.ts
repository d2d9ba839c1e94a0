import { describe, expect, it } from "vitest";
import { HostCommandError } from "../../../../src/local/network/host-command.js";
import { HostFirewall, sweepStaleFirewallChains } from "../../../../src/local/network/host-firewall.js";
import { failed, notInstalled, recordingHostCommand } from "./recording-host-command.js";

const CHAIN = "OPENSHELL-0123456789abcdef";
const rules = { chain: CHAIN, bridge: "os-0123456789ab", hostAddress: "10.89.7.1", openPorts: [3128] };
const jump = `-i os-0123456789ab -j ${CHAIN}`;

/** What install() runs for one tool when the chain is new and no jump is there yet. */
const freshInstall = (tool: string, chainRules: string[]) => [
  `${tool} -w -N ${CHAIN}`,
  ...chainRules.map((rule) => `${tool} -w -A ${CHAIN} ${rule}`),
  `${tool} -w -C INPUT ${jump}`,
  `${tool} -w -I INPUT 1 ${jump}`,
  `${tool} -w -C FORWARD ${jump}`,
  `${tool} -w -I FORWARD 1 ${jump}`,
];
const ESTABLISHED = "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT";
const IPV4_RULES = [
  ESTABLISHED,
  "-p tcp -d 10.89.7.1 --dport 3128 -j ACCEPT",
  "-p tcp -j REJECT --reject-with tcp-reset",
  "-j REJECT --reject-with icmp-port-unreachable",
];
const IPV6_RULES = [ESTABLISHED, "-p tcp -j REJECT --reject-with tcp-reset", "-j REJECT"];
/** A fresh host: the chain does not exist, so neither do its jumps. */
const fresh = (command: string) =>
  / -C /.test(command) ? failed("Bad rule (does a matching rule exist?)") : "";

describe("HostFirewall.install", () => {
  it("makes the chain with the proxy port open and jumps to it from INPUT and FORWARD, IPv6 without the port", async () => {
    const { run, calls } = recordingHostCommand(fresh);
    await new HostFirewall(rules, run).install();
    expect(calls).toEqual([
      ...freshInstall("iptables", IPV4_RULES),
      ...freshInstall("ip6tables", IPV6_RULES),
    ]);
  });

  it("opens every port asked for, and none when asked for none", async () => {
    const { run, calls } = recordingHostCommand(fresh);
    await new HostFirewall({ ...rules, openPorts: [80, 443] }, run).install();
    expect(calls.filter((c) => c.includes("--dport"))).toEqual([
      `iptables -w -A ${CHAIN} -p tcp -d 10.89.7.1 --dport 80 -j ACCEPT`,
      `iptables -w -A ${CHAIN} -p tcp -d 10.89.7.1 --dport 443 -j ACCEPT`,
    ]);
    const none = recordingHostCommand(fresh);
    await new HostFirewall({ ...rules, openPorts: [] }, none.run).install();
    expect(none.calls.some((c) => c.includes("--dport"))).toBe(false);
  });

  it("flushes an existing chain instead of making it, and keeps jumps that are there (a restart)", async () => {
    const { run, calls } = recordingHostCommand((command) =>
      / -N /.test(command) ? failed("iptables: Chain already exists.") : "",
    );
    await new HostFirewall(rules, run).install();
    const ipv4 = calls.filter((c) => c.startsWith("iptables "));
    expect(ipv4).toEqual([
      `iptables -w -N ${CHAIN}`,
      `iptables -w -F ${CHAIN}`,
      ...IPV4_RULES.map((rule) => `iptables -w -A ${CHAIN} ${rule}`),
      `iptables -w -C INPUT ${jump}`,
      `iptables -w -C FORWARD ${jump}`,
    ]);
    expect(calls.some((c) => c.includes(" -I "))).toBe(false);
  });

  it("tolerates a host without ip6tables or without IPv6 netfilter", async () => {
    for (const ipv6 of [
      notInstalled("ip6tables"),
      failed("ip6tables v1.8.9 (legacy): can't initialize ip6tables table `filter': Table does not exist"),
      failed("ip6tables v1.8.9 (nf_tables): Failed to initialize nft: Protocol not supported"),
    ]) {
      const { run, calls } = recordingHostCommand((command) =>
        command.startsWith("ip6tables") ? ipv6 : fresh(command),
      );
      await new HostFirewall(rules, run).install();
      expect(calls.filter((c) => c.startsWith("iptables "))).toEqual(freshInstall("iptables", IPV4_RULES));
    }
  });

  it("fails when ip6tables is there but refuses a rule: IPv6 would be left open", async () => {
    const { run } = recordingHostCommand((command) =>
      command.startsWith("ip6tables -w -A")
        ? failed("ip6tables v1.8.9 (nf_tables): Couldn't load target `REJECT'")
        : fresh(command),
    );
    await expect(new HostFirewall(rules, run).install()).rejects.toThrow(/Couldn't load target/);
  });

  it("fails with a HostCommandError saying iptables is missing", async () => {
    const { run, calls } = recordingHostCommand((command) =>
      command.startsWith("iptables") ? notInstalled("iptables") : "",
    );
    const error = await new HostFirewall(rules, run).install().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostCommandError);
    expect((error as HostCommandError).missing).toBe(true);
    expect(calls).toEqual([`iptables -w -N ${CHAIN}`]);
  });

  it("fails when iptables refuses (not root)", async () => {
    const { run } = recordingHostCommand(() =>
      failed(
        "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)",
        4,
      ),
    );
    const error = await new HostFirewall(rules, run).install().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostCommandError);
    expect((error as HostCommandError).missing).toBe(false);
    expect((error as Error).message).toMatch(/you must be root/);
  });
});

describe("HostFirewall.remove", () => {
  it("deletes every copy of both jumps, then flushes and deletes the chain, in both tables", async () => {
    let inputJumps = 2;
    const { run, calls } = recordingHostCommand((command) => {
      if (command.includes("-D INPUT")) return inputJumps-- > 0 ? "" : failed("Bad rule");
      if (command.includes("-D FORWARD")) return failed("Bad rule");
      return "";
    });
    await new HostFirewall(rules, run).remove();
    const ipv4 = [
      `iptables -w -D INPUT ${jump}`,
      `iptables -w -D INPUT ${jump}`,
      `iptables -w -D INPUT ${jump}`,
      `iptables -w -D FORWARD ${jump}`,
      `iptables -w -F ${CHAIN}`,
      `iptables -w -X ${CHAIN}`,
    ];
    expect(calls.slice(0, 6)).toEqual(ipv4);
    expect(calls.slice(6)).toEqual([
      `ip6tables -w -D INPUT ${jump}`,
      `ip6tables -w -D FORWARD ${jump}`,
      `ip6tables -w -F ${CHAIN}`,
      `ip6tables -w -X ${CHAIN}`,
    ]);
  });

  it("is fine with what is already gone, and with a host without ip6tables", async () => {
    const { run, calls } = recordingHostCommand((command) =>
      command.startsWith("ip6tables")
        ? notInstalled("ip6tables")
        : failed("No chain/target/match by that name."),
    );
    await new HostFirewall(rules, run).remove();
    expect(calls.filter((c) => c.startsWith("ip6tables"))).toEqual([`ip6tables -w -D INPUT ${jump}`]);
  });
});

describe("sweepStaleFirewallChains", () => {
  const STALE = "OPENSHELL-aaaaaaaaaaaaaaaa";
  const LIVE = "OPENSHELL-bbbbbbbbbbbbbbbb";
  const JUMPLESS = "OPENSHELL-cccccccccccccccc";
  const listing = [
    "-P INPUT ACCEPT",
    "-P FORWARD DROP",
    "-N DOCKER",
    `-N ${STALE}`,
    `-N ${LIVE}`,
    `-N ${JUMPLESS}`,
    `-A INPUT -i os-aaaaaaaaaaaa -j ${STALE}`,
    `-A INPUT -i os-bbbbbbbbbbbb -j ${LIVE}`,
    `-A FORWARD -i os-aaaaaaaaaaaa -j ${STALE}`,
    `-A FORWARD -i os-bbbbbbbbbbbb -j ${LIVE}`,
    "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
    "-A FORWARD -i gone0 -j DOCKER",
    "-A FORWARD -i os-+ -j OPENSHELL-dddddddddddddddd",
    `-A ${STALE} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${STALE} -j REJECT --reject-with icmp-port-unreachable`,
    "",
  ].join("\n");
  const bridgeExists = (bridge: string) => bridge === "os-bbbbbbbbbbbb" || bridge === "docker0";

  it("removes the jumps and the chain of a gone bridge, and nothing else, in both tables", async () => {
    const { run, calls } = recordingHostCommand((command) => (command.endsWith(" -S") ? listing : ""));
    await expect(sweepStaleFirewallChains(run, bridgeExists)).resolves.toEqual([STALE]);
    const removal = (tool: string) => [
      `${tool} -w -S`,
      `${tool} -w -D INPUT -i os-aaaaaaaaaaaa -j ${STALE}`,
      `${tool} -w -D FORWARD -i os-aaaaaaaaaaaa -j ${STALE}`,
      `${tool} -w -F ${STALE}`,
      `${tool} -w -X ${STALE}`,
    ];
    expect(calls).toEqual([...removal("iptables"), ...removal("ip6tables")]);
  });

  it("leaves a chain alone while any of its bridges exists", async () => {
    const shared = `${listing}-A FORWARD -i os-bbbbbbbbbbbb -j ${STALE}\n`;
    const { run, calls } = recordingHostCommand((command) => (command.endsWith(" -S") ? shared : ""));
    await expect(sweepStaleFirewallChains(run, bridgeExists)).resolves.toEqual([]);
    expect(calls).toEqual(["iptables -w -S", "ip6tables -w -S"]);
  });

  it("asks /sys/class/net by default", async () => {
    const { run, calls } = recordingHostCommand((command) =>
      command === "iptables -w -S" ? `-A INPUT -i lo -j ${LIVE}\n` : "",
    );
    await expect(sweepStaleFirewallChains(run)).resolves.toEqual([]);
    expect(calls).toEqual(["iptables -w -S", "ip6tables -w -S"]);
  });

  it("does not report a chain it could not delete (another gateway swept it first, or it is still jumped to)", async () => {
    const { run } = recordingHostCommand((command) => {
      if (command.endsWith(" -S")) return listing;
      return / -X /.test(command) ? failed("Too many links.") : failed("Bad rule");
    });
    await expect(sweepStaleFirewallChains(run, bridgeExists)).resolves.toEqual([]);
  });

  it("sweeps IPv4 alone on a host without ip6tables, and nothing without iptables", async () => {
    const ipv4Only = recordingHostCommand((command) =>
      command.startsWith("ip6tables") ? notInstalled("ip6tables") : command.endsWith(" -S") ? listing : "",
    );
    await expect(sweepStaleFirewallChains(ipv4Only.run, bridgeExists)).resolves.toEqual([STALE]);
    expect(ipv4Only.calls.at(-1)).toBe("ip6tables -w -S");

    const none = recordingHostCommand((command) => notInstalled(command.split(" ")[0] ?? ""));
    await expect(sweepStaleFirewallChains(none.run, bridgeExists)).resolves.toEqual([]);
    expect(none.calls).toEqual(["iptables -w -S", "ip6tables -w -S"]);
  });

  it("fails when iptables cannot be read (not root)", async () => {
    const { run } = recordingHostCommand(() => failed("Permission denied (you must be root)", 4));
    await expect(sweepStaleFirewallChains(run, bridgeExists)).rejects.toThrow(/you must be root/);
  });
});
