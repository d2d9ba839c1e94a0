import { describe, expect, it } from "vitest";
import { CapabilityError } from "../../../../src/errors.js";
import {
  assertHostIsolation,
  prepareEgressIsolation,
} from "../../../../src/local/network/egress-isolation.js";
import type { Capability } from "../../../../src/runtime/capabilities.js";
import { failed, recordingHostCommand } from "./recording-host-command.js";

const GATEWAY_ID = "0123456789abcdef";
const runtime = (...capabilities: Capability[]) => ({
  kind: "docker" as const,
  capabilities: new Set(capabilities),
});
/** A network whose host address this host has (loopback), so no `ip` command is needed. */
const onHost = {
  id: "n1",
  name: "openshell-local-0123456789abcdef",
  internal: true,
  labels: {},
  subnet: "127.0.0.0/8",
  gateway: "127.0.0.1",
  bridge: "lo",
};
const notRoot = () => failed("iptables v1.8.9 (nf_tables): Permission denied (you must be root)", 4);

describe("prepareEgressIsolation", () => {
  it("has no attachment and says why when the engine's networks are not on this host; require lets it start", async () => {
    const { run, calls } = recordingHostCommand();
    const isolation = await prepareEgressIsolation(runtime(), onHost, GATEWAY_ID, run);
    expect(isolation.attachment).toBeUndefined();
    expect(isolation.limitation).toMatch(
      /no network egress: the docker engine's networks are not on this host/,
    );
    await isolation.guard([3128]);
    await isolation.remove();
    expect(calls).toEqual([]);
    expect(() => assertHostIsolation(isolation, "require", "docker")).not.toThrow();
  });

  it("refuses under require a network this host routes to but has no bridge for (Apple container's host-only), naming it", async () => {
    const { run, calls } = recordingHostCommand();
    const hostOnly = {
      id: "n2",
      name: "openshell-local-x",
      internal: true,
      labels: {},
      subnet: "192.168.70.0/24",
      gateway: "192.168.70.1",
    };
    const apple = {
      kind: "apple-container" as const,
      capabilities: new Set<Capability>(["container-address"]),
    };
    const isolation = await prepareEgressIsolation(apple, hostOnly, GATEWAY_ID, run);
    // The proxy listens at the gateway address, the host side vmnet keeps: sandboxes have egress.
    expect(isolation.attachment).toEqual({ bridge: undefined, address: "192.168.70.1", prefixLength: 24 });
    expect(isolation.limitation).toBe(
      "sandboxes can connect to services on this host at 192.168.70.1 and to each other: " +
        "the apple-container engine's network openshell-local-x has no bridge on this host that local mode can firewall",
    );
    expect(calls).toEqual([]);
    const refusal = (() => {
      try {
        assertHostIsolation(isolation, "require", "apple-container");
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(CapabilityError);
    expect((refusal as CapabilityError).message).toMatch(
      /^local mode cannot keep sandboxes off this host: sandboxes can connect/,
    );
    expect(() => assertHostIsolation(isolation, "best-effort", "apple-container")).not.toThrow();
  });

  it("gives no egress on a routed network without a bridge whose gateway is unknown, and still refuses under require", async () => {
    const { run } = recordingHostCommand();
    const apple = {
      kind: "apple-container" as const,
      capabilities: new Set<Capability>(["container-address"]),
    };
    const noGateway = { id: "n3", name: "openshell-local-y", internal: true, labels: {} };
    const isolation = await prepareEgressIsolation(apple, noGateway, GATEWAY_ID, run);
    expect(isolation.attachment).toBeUndefined();
    expect(isolation.limitation).toBe(
      "sandboxes can connect to services on this host and to each other, and have no network egress: " +
        "the apple-container engine's network openshell-local-y has no bridge on this host that local mode can take an address on or firewall",
    );
    expect(() => assertHostIsolation(isolation, "require", "apple-container")).toThrow(CapabilityError);
  });

  it("sweeps stale chains once the attachment is in place, and installs the chain on guard", async () => {
    const { run, calls } = recordingHostCommand((command) =>
      / -C /.test(command) ? failed("Bad rule") : "",
    );
    const isolation = await prepareEgressIsolation(runtime("container-address"), onHost, GATEWAY_ID, run);
    expect(isolation.attachment).toEqual({ bridge: "lo", address: "127.0.0.1", prefixLength: 8 });
    expect(calls).toEqual(["iptables -w -S", "ip6tables -w -S"]);
    await isolation.guard([3128]);
    expect(isolation.limitation).toBeUndefined();
    expect(calls).toContain(
      `iptables -w -A OPENSHELL-${GATEWAY_ID} -p tcp -d 127.0.0.1 --dport 3128 -j ACCEPT`,
    );
    expect(calls).toContain(`iptables -w -I INPUT 1 -i lo -j OPENSHELL-${GATEWAY_ID}`);
    expect(() => assertHostIsolation(isolation, "require", "docker")).not.toThrow();
  });

  it("starts although the sweep fails", async () => {
    const { run } = recordingHostCommand((command) => (command.endsWith(" -S") ? notRoot() : ""));
    const isolation = await prepareEgressIsolation(runtime("container-address"), onHost, GATEWAY_ID, run);
    expect(isolation.attachment).toBeDefined();
    expect(isolation.limitation).toBeUndefined();
  });

  it("records a firewall that cannot be set: require refuses with host-firewall missing, best-effort goes on", async () => {
    const { run } = recordingHostCommand(notRoot);
    const isolation = await prepareEgressIsolation(runtime("container-address"), onHost, GATEWAY_ID, run);
    await isolation.guard([3128]);
    expect(isolation.attachment).toBeDefined();
    expect(isolation.limitation).toMatch(
      /sandboxes can connect to services on this host directly.*you must be root/,
    );
    const error = (() => {
      try {
        assertHostIsolation(isolation, "require", "docker");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "docker", missing: ["host-firewall"] });
    expect((error as Error).message).toMatch(/hostIsolation: "best-effort"/);
    expect(() => assertHostIsolation(isolation, "best-effort", "docker")).not.toThrow();
  });

  it("has no attachment when this host cannot take its address, which require lets start", async () => {
    const { run } = recordingHostCommand((command) =>
      command.startsWith("ip link add") ? failed("RTNETLINK answers: Operation not permitted", 2) : "",
    );
    const network = { ...onHost, subnet: "198.18.99.0/24", gateway: undefined, bridge: "os-test" };
    const isolation = await prepareEgressIsolation(runtime("container-address"), network, GATEWAY_ID, run);
    expect(isolation.attachment).toBeUndefined();
    expect(isolation.limitation).toMatch(/could not take its address 198\.18\.99\.1 on bridge os-test/);
    expect(() => assertHostIsolation(isolation, "require", "docker")).not.toThrow();
  });
});
