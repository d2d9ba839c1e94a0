import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CapabilityError } from "../../../src/errors.js";
import { LocalGateway } from "../../../src/local/local-gateway.js";
import { AppleContainerRuntime } from "../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import { FakeRunner, fixture, STATUS } from "../runtime/drivers/apple-container/fake-runner.js";
import { fakeRuntime } from "../runtime/drivers/apple-container/helpers.js";

describe("the capabilities local mode requires", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "openshell-local-caps-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("do not include log timestamps: Apple container is refused for its networks alone", async () => {
    const { runtime, runner } = fakeRuntime();
    const stateDir = join(dir, "state");
    const starting = LocalGateway.start({ runtime, stateDir });
    await expect(starting).rejects.toBeInstanceOf(CapabilityError);
    await expect(starting).rejects.toMatchObject({
      runtime: "apple-container",
      missing: ["internal-networks"],
    });
    // Refused before anything was made: no CLI call, no state directory.
    expect(runner.argv).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    await runtime.close();
  });

  it("on a CLI with host-only networks (1.1 on macOS 26), refuses to start: sandboxes there could reach this Mac, unguarded", async () => {
    // The network as the CLI lists it once made: the recorded host-only network, under the name and
    // labels the create asked for.
    let created: { name: string; labels: Record<string, string> } | undefined;
    const runner = new FakeRunner()
      .onRun(["--version"], { stdout: fixture("version.txt") })
      .onRun(STATUS, { stdout: fixture("system-status-running.json") })
      .onRun(
        (args) => args[0] === "network" && args[1] === "create",
        (args) => {
          const labels = Object.fromEntries(
            args.flatMap((arg, i) => (args[i - 1] === "--label" ? [arg.split("=", 2)] : [])),
          );
          created = { name: args.at(-1) ?? "", labels };
          return { stdout: `${created.name}\n` };
        },
      )
      .onRun(["network", "list", "--format", "json"], () => {
        if (created === undefined) return { stdout: "[]" };
        const [network] = JSON.parse(fixture("network-inspect-hostonly-1.1.txt"));
        network.id = created.name;
        network.configuration.name = created.name;
        network.configuration.labels = created.labels;
        return { stdout: JSON.stringify([network]) };
      })
      .onRun((args) => args[0] === "network" && args[1] === "delete", { stdout: "" })
      .onRun((args) => args[0] === "list", { stdout: "[]" });
    const runtime = await AppleContainerRuntime.connect({
      runner,
      sessionId: "sess0001",
      darwinRelease: "25.0.0",
    });
    const error = await LocalGateway.start({ runtime, stateDir: join(dir, "state") }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "apple-container", missing: ["host-firewall"] });
    expect((error as Error).message).toMatch(
      /^local mode cannot keep sandboxes off this host: sandboxes can connect to services on this host at 192\.168\.70\.1 and to each other/,
    );
    // What it made for the start is gone again.
    expect(runner.argv.filter((args) => args[0] === "network" && args[1] === "delete")).toEqual([
      ["network", "delete", created?.name],
    ]);
    await runtime.close();
  });
});
