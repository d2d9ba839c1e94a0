import { describe, expect, it } from "vitest";
import { CapabilityError, ContainerRuntimeError } from "../../../../../src/errors.js";
import { AppleContainerRuntime } from "../../../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import { macOSFromDarwin } from "../../../../../src/runtime/drivers/apple-container/cli-version.js";
import { FakeRunner, fixture, STATUS } from "./fake-runner.js";
import { SESSION, SESSION_LABEL_ARGS } from "./helpers.js";

/*
 * connect() reads `container --version` and the host's Darwin release, and declares what that CLI
 * offers on that macOS (docs/runtimes/apple-container.md: `--read-only` 0.8.0, `--cap-add/--cap-drop`
 * 0.12.0, `network create --internal` 0.9.0 with the macOS 26 network plugin).
 */

const MACOS_26 = "25.0.0";
const MACOS_15 = "24.6.0";

/**
 * `container --version` of a release: the 1.1.0 banner with the number changed (only the number is
 * read; the commit stays 1.1.0's). 0.12.3 and 1.1.0 are the recorded banners themselves.
 */
function banner(version: string): string {
  if (version === "0.12.3") return fixture("version-0.12.txt");
  return fixture("version.txt").replace("1.1.0", version);
}

/** A runner for a CLI of `version` whose service runs, answering the status the way that release asks. */
function cliRunner(version: string): FakeRunner {
  return (
    new FakeRunner()
      .onRun(["--version"], { stdout: banner(version) })
      .onRun(STATUS, { stdout: fixture("system-status-running.json") })
      // Before 0.10.0 `system status` has no --format: text, exit 0 when running.
      .onRun(["system", "status"], { stdout: "apiserver is running\n" })
  );
}

function connect(version: string, darwinRelease: string | undefined) {
  const runner = cliRunner(version);
  const connecting = AppleContainerRuntime.connect({ runner, sessionId: "sess0001", darwinRelease });
  return { runner, connecting };
}

/** What every supported release offers. */
const BASE = [
  "bind-mounts",
  "build",
  "container-address",
  "exec",
  "networks",
  "port-publishing",
  "resource-limits",
  "tmpfs",
  "tty",
  "volumes",
];

describe("capabilities per CLI version and macOS", () => {
  it.each([
    ["0.7.1", MACOS_26, []],
    ["0.8.0", MACOS_26, ["read-only-root"]],
    ["0.9.0", MACOS_15, ["read-only-root"]],
    ["0.9.0", MACOS_26, ["read-only-root", "internal-networks"]],
    ["0.12.3", MACOS_15, ["read-only-root", "cap-add-drop"]],
    ["0.12.3", MACOS_26, ["read-only-root", "cap-add-drop", "internal-networks"]],
    ["1.1.0", MACOS_15, ["read-only-root", "cap-add-drop"]],
    ["1.1.0", MACOS_26, ["read-only-root", "cap-add-drop", "internal-networks"]],
    ["1.1.0", "25.2.0", ["read-only-root", "cap-add-drop", "internal-networks"]],
  ])("CLI %s on Darwin %s", async (version, darwin, extra) => {
    const runtime = await connect(version, darwin).connecting;
    expect(runtime.cliVersion).toBe(version);
    expect([...runtime.capabilities].sort()).toEqual([...BASE, ...extra].sort());
  });

  it("offers no internal networks when the macOS version is unknown (not on a Mac)", async () => {
    const runtime = await connect("1.1.0", undefined).connecting;
    expect(runtime.capabilities.has("internal-networks")).toBe(false);
    expect(runtime.capabilities.has("cap-add-drop")).toBe(true);
  });

  it("offers none of the versioned capabilities when the banner has no version number", async () => {
    const runner = new FakeRunner()
      .onRun(["--version"], { stdout: "container CLI version unknown\n" })
      .onRun(STATUS, { stdout: fixture("system-status-running.json") });
    const runtime = await AppleContainerRuntime.connect({ runner, darwinRelease: MACOS_26 });
    expect([...runtime.capabilities].sort()).toEqual(BASE);
  });

  it("asks for the status in text before 0.10.0 and as JSON from 0.10.0", async () => {
    const old = connect("0.9.0", MACOS_26);
    await old.connecting;
    expect(old.runner.argv).toEqual([["--version"], ["system", "status"]]);
    const recent = connect("0.12.3", MACOS_26);
    await recent.connecting;
    expect(recent.runner.argv).toEqual([["--version"], STATUS]);
  });

  it("says to start the service when a pre-0.10 status exits 1", async () => {
    const runner = new FakeRunner()
      .onRun(["--version"], { stdout: banner("0.9.0") })
      .onRun(["system", "status"], { exitCode: 1, stdout: "apiserver is not running\n" });
    const error = await AppleContainerRuntime.connect({ runner, darwinRelease: MACOS_26 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect((error as Error).message).toContain("`container system start`");
  });

  it("maps Darwin releases to macOS versions", () => {
    expect(macOSFromDarwin("25.0.0")).toBe(26);
    expect(macOSFromDarwin("24.6.0")).toBe(15);
    expect(macOSFromDarwin("20.1.0")).toBe(11);
    expect(macOSFromDarwin("6.8.0")).toBeUndefined();
    expect(macOSFromDarwin(undefined)).toBeUndefined();
  });
});

describe("a CLI older than the driver supports", () => {
  it("fails connect() naming the version found and the minimum, before asking for anything else", async () => {
    const { runner, connecting } = connect("0.4.1", MACOS_26);
    const error = await connecting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect(error).toMatchObject({ runtime: "apple-container" });
    expect((error as Error).message).toMatch(/version 0\.4\.1, older than 0\.5\.0.*Upgrade/);
    expect(runner.argv).toEqual([["--version"]]);
  });

  it("accepts the minimum itself", async () => {
    await expect(connect("0.5.0", MACOS_26).connecting).resolves.toBeInstanceOf(AppleContainerRuntime);
  });
});

describe("a refusal names the version that brings what is missing", () => {
  it("internal networks: the CLI and macOS found, and the CLI and macOS needed", async () => {
    const { runner, connecting } = connect("0.8.0", MACOS_15);
    const runtime = await connecting;
    const error = await runtime.createNetwork({ name: "isolated", internal: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "apple-container", missing: ["internal-networks"] });
    const message = (error as Error).message;
    expect(message).toContain("(container CLI 0.8.0 on macOS 15)");
    expect(message).toContain("internal-networks needs container CLI 0.9.0 or later, on macOS 26 or later");
    expect(message).toContain("Upgrade");
    expect(runner.argv).toEqual([["--version"], ["system", "status"]]);
  });

  it("capabilities and a read-only root in a container spec", async () => {
    const runtime = await connect("0.7.1", MACOS_26).connecting;
    const error = await runtime
      .createContainer({ image: "alpine:3.20", capDrop: ["ALL"], readOnlyRoot: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "CapabilityError", missing: ["cap-add-drop", "read-only-root"] });
    expect((error as Error).message).toContain(
      "cap-add-drop needs container CLI 0.12.0 or later; read-only-root needs container CLI 0.8.0 or later",
    );
  });

  it("keeps the plain refusal for what no release offers", async () => {
    const runtime = await connect("1.1.0", MACOS_26).connecting;
    expect(() => runtime.require(["gpus"])).toThrow(
      /does not support: gpus\. Drop that option, or choose a runtime that has it/,
    );
  });
});

describe("internal networks where the CLI has them", () => {
  it("runs `network create --internal` and reads the host-only network back with its subnet and gateway", async () => {
    const { runner, connecting } = connect("1.1.0", MACOS_26);
    const runtime = await connecting;
    runner.onRun((args) => args[0] === "network" && args[1] === "create", { stdout: "sbx-internal\n" });
    // `network inspect` prints the same records as the list.
    runner.onRun(["network", "list", "--format", "json"], {
      stdout: fixture("network-inspect-hostonly-1.1.txt"),
    });
    const hostOnly = {
      id: "sbx-internal",
      name: "sbx-internal",
      internal: true,
      labels: SESSION,
      subnet: "192.168.70.0/24",
      gateway: "192.168.70.1",
    };
    await expect(runtime.createNetwork({ name: "sbx-internal", internal: true })).resolves.toEqual(hostOnly);
    expect(runner.argv.slice(-2)).toEqual([
      [
        "network",
        "create",
        "--internal",
        "--label",
        SESSION_LABEL_ARGS[0],
        "--label",
        SESSION_LABEL_ARGS[1],
        "sbx-internal",
      ],
      ["network", "list", "--format", "json"],
    ]);
    await expect(runtime.listNetworks({ labels: SESSION })).resolves.toEqual([hostOnly]);
  });

  it("returns what `create` said when the listing does not have the network yet", async () => {
    const { runner, connecting } = connect("0.12.3", MACOS_26);
    const runtime = await connecting;
    runner.onRun((args) => args[0] === "network" && args[1] === "create", { stdout: "sbx-new\n" });
    runner.onRun(["network", "list", "--format", "json"], { stdout: fixture("network-list-0.12.json") });
    await expect(runtime.createNetwork({ name: "sbx-new", internal: true })).resolves.toEqual({
      id: "sbx-new",
      name: "sbx-new",
      internal: true,
      labels: SESSION,
    });
  });
});
