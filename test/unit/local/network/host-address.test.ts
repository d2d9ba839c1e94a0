import { describe, expect, it } from "vitest";
import { ensureHostAttachment, hostAttachmentOf } from "../../../../src/local/network/host-address.js";
import type { HostCommandError } from "../../../../src/local/network/host-command.js";
import { failed, notInstalled, recordingHostCommand } from "./recording-host-command.js";

const network = { id: "n1", name: "openshell-local-x", internal: true, labels: {} };

describe("hostAttachmentOf", () => {
  it("takes the engine's gateway address (Docker)", () => {
    expect(
      hostAttachmentOf({ ...network, subnet: "172.20.0.0/16", gateway: "172.20.0.1", bridge: "os-abc" }),
    ).toEqual({ bridge: "os-abc", address: "172.20.0.1", prefixLength: 16 });
  });

  it("takes the subnet's first host address when the engine assigned no gateway (Podman CNI)", () => {
    expect(hostAttachmentOf({ ...network, subnet: "10.89.3.0/24", bridge: "cni-podman3" })).toEqual({
      bridge: "cni-podman3",
      address: "10.89.3.1",
      prefixLength: 24,
    });
  });

  it("has none without a bridge or a subnet, or on a subnet too small to share", () => {
    expect(hostAttachmentOf({ ...network, subnet: "10.89.3.0/24", gateway: "10.89.3.1" })).toBeUndefined();
    expect(hostAttachmentOf({ ...network, bridge: "os-abc" })).toBeUndefined();
    expect(hostAttachmentOf({ ...network, subnet: "10.89.3.0/31", bridge: "os-abc" })).toBeUndefined();
    expect(hostAttachmentOf({ ...network, subnet: "garbage", bridge: "os-abc" })).toBeUndefined();
  });
});

describe("ensureHostAttachment", () => {
  // 198.18.0.0/15 is for benchmarks: no interface of this host has an address there.
  const attachment = { bridge: "os-test", address: "198.18.99.1", prefixLength: 24 };
  const show = "ip -4 -o address show dev os-test";
  const make = [
    "ip link add name os-test type bridge",
    "ip address add 198.18.99.1/24 dev os-test",
    "ip link set os-test up",
  ];

  it("makes the bridge with the address and brings it up when it does not exist", async () => {
    const { run, calls } = recordingHostCommand((command) =>
      command === show ? failed('Device "os-test" does not exist.') : "",
    );
    await ensureHostAttachment(attachment, run);
    expect(calls).toEqual([show, ...make]);
  });

  it("does nothing when the bridge has the address already, even while it is down", async () => {
    const { run, calls } = recordingHostCommand(
      () =>
        "7: os-test    inet 198.18.99.1/24 brd 198.18.99.255 scope global os-test\\       valid_lft forever preferred_lft forever\n",
    );
    await ensureHostAttachment(attachment, run);
    expect(calls).toEqual([show]);
  });

  it("asks nothing when one of this host's interfaces has the address", async () => {
    const { run, calls } = recordingHostCommand();
    await ensureHostAttachment({ bridge: "lo", address: "127.0.0.1", prefixLength: 8 }, run);
    expect(calls).toEqual([]);
  });

  it("gives the address to a bridge the engine made meanwhile, and takes an address already assigned", async () => {
    for (const addressTaken of [
      failed("Error: ipv4: Address already assigned."),
      failed("RTNETLINK answers: File exists"),
    ]) {
      const { run, calls } = recordingHostCommand((command) => {
        if (command === show) return "";
        if (command.startsWith("ip link add")) return failed("RTNETLINK answers: File exists");
        if (command.startsWith("ip address add")) return addressTaken;
        return "";
      });
      await ensureHostAttachment(attachment, run);
      expect(calls).toEqual([show, ...make]);
    }
  });

  it("fails when the host refuses (not root) or has no `ip`", async () => {
    const refused = recordingHostCommand((command) =>
      command.startsWith("ip link add") ? failed("RTNETLINK answers: Operation not permitted", 2) : "",
    );
    await expect(ensureHostAttachment(attachment, refused.run)).rejects.toThrow(/Operation not permitted/);
    expect(refused.calls).toEqual([show, make[0]]);

    const missing = recordingHostCommand(() => notInstalled("ip"));
    const error = await ensureHostAttachment(attachment, missing.run).catch((e: unknown) => e);
    expect((error as HostCommandError).missing).toBe(true);
  });
});
