import { describe, expect, it } from "vitest";
import { ensureSandboxNetwork, sandboxNetworkNames } from "../../../../src/local/network/sandbox-network.js";
import { AppleContainerRuntime } from "../../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import { FakeRunner, fixture, STATUS } from "../../runtime/drivers/apple-container/fake-runner.js";

/*
 * The gateway's sandbox network on a runtime whose networks have no Linux bridge (Apple `container`
 * 1.1.0 on macOS 26, from recorded CLI output): the bridge name, which such a runtime refuses, is
 * not asked for, and the subnet and gateway the CLI assigned come back with the network.
 */

const GATEWAY_ID = "0123456789abcdef";
const { name } = sandboxNetworkNames(GATEWAY_ID);
const NETWORKS = ["network", "list", "--format", "json"];

describe("ensureSandboxNetwork on Apple container", () => {
  it("makes the internal network without a bridge name and returns its subnet and gateway", async () => {
    let made = false;
    const runner = new FakeRunner()
      .onRun(["--version"], { stdout: fixture("version.txt") })
      .onRun(STATUS, { stdout: fixture("system-status-running.json") })
      .onRun(NETWORKS, () => ({
        // The recorded host-only network, under this gateway's name once it has been made.
        stdout: made ? fixture("network-inspect-hostonly-1.1.txt").replaceAll("sbx-internal", name) : "[]",
      }))
      .onRun(
        (args) => args[0] === "network" && args[1] === "create",
        () => {
          made = true;
          return { stdout: `${name}\n` };
        },
      );
    const runtime = await AppleContainerRuntime.connect({
      runner,
      sessionId: "sess0001",
      darwinRelease: "25.0.0",
    });
    expect(runtime.capabilities.has("network-bridge-name")).toBe(false);

    const { network, created } = await ensureSandboxNetwork(runtime, GATEWAY_ID, {});
    expect(created).toBe(true);
    expect(network).toMatchObject({
      name,
      internal: true,
      subnet: "192.168.70.0/24",
      gateway: "192.168.70.1",
    });
    const creates = runner.argv.filter((args) => args[1] === "create");
    expect(creates).toEqual([
      [
        "network",
        "create",
        "--internal",
        "--label",
        "openshell.ai/managed-by=openshell",
        "--label",
        "openshell.ai/session=sess0001",
        name,
      ],
    ]);
  });
});
