import { describe, expect, it } from "vitest";
import { CapabilityError, OpenShellError } from "../../../src/errors.js";
import {
  assertCapabilities,
  CAPABILITIES,
  type Capability,
  capabilitiesForLogs,
  capabilitiesForNetwork,
  capabilitiesForSpec,
} from "../../../src/runtime/capabilities.js";
import type { ContainerSpec } from "../../../src/runtime/container-spec.js";

const image = "alpine:3.20";

function needs(extra: Omit<ContainerSpec, "image">): Capability[] {
  return capabilitiesForSpec({ image, ...extra });
}

describe("capabilitiesForSpec", () => {
  it("needs nothing for a spec with only an image and the options every runtime has", () => {
    expect(
      needs({
        name: "web-1",
        command: ["sleep", "1"],
        entrypoint: ["/bin/sh", "-c"],
        env: { A: "1" },
        labels: { team: "x" },
        user: "1000:1000",
        workdir: "/srv",
        openStdin: true,
      }),
    ).toEqual([]);
  });

  it("maps each mount kind to its capability", () => {
    expect(needs({ mounts: [{ type: "bind", source: "/h", target: "/c" }] })).toEqual(["bind-mounts"]);
    expect(needs({ mounts: [{ type: "volume", source: "v", target: "/c" }] })).toEqual(["volumes"]);
    expect(needs({ mounts: [{ type: "tmpfs", target: "/t" }] })).toEqual(["tmpfs"]);
  });

  it("names a capability once however many mounts need it", () => {
    expect(
      needs({
        mounts: [
          { type: "tmpfs", target: "/a" },
          { type: "bind", source: "/h", target: "/b" },
          { type: "tmpfs", target: "/c" },
        ],
      }).sort(),
    ).toEqual(["bind-mounts", "tmpfs"]);
  });

  it.each<[string, Omit<ContainerSpec, "image">, Capability]>([
    ["ports", { ports: [{ containerPort: 80 }] }, "port-publishing"],
    ["capAdd", { capAdd: ["NET_ADMIN"] }, "cap-add-drop"],
    ["capDrop", { capDrop: ["ALL"] }, "cap-add-drop"],
    ["privileged", { privileged: true }, "privileged"],
    ["readOnlyRoot", { readOnlyRoot: true }, "read-only-root"],
    ["noNewPrivileges", { noNewPrivileges: true }, "no-new-privileges"],
    ["gpus all", { gpus: "all" }, "gpus"],
    ["gpus count", { gpus: 1 }, "gpus"],
    ["extraHosts", { extraHosts: [{ host: "db", ip: "10.0.0.2" }] }, "extra-hosts"],
    ["pidsLimit", { resources: { pidsLimit: 100 } }, "pids-limit"],
    ["cpus", { resources: { cpus: 0.5 } }, "resource-limits"],
    ["memoryMiB", { resources: { memoryMiB: 256 } }, "resource-limits"],
    ["network", { network: "backend" }, "networks"],
    ["tty", { tty: true }, "tty"],
  ])("%s needs %s", (_option, extra, capability) => {
    expect(needs(extra)).toEqual([capability]);
  });

  it("needs nothing for options that are present but off or empty", () => {
    expect(
      needs({
        mounts: [],
        ports: [],
        capAdd: [],
        capDrop: [],
        privileged: false,
        readOnlyRoot: false,
        noNewPrivileges: false,
        extraHosts: [],
        resources: {},
        tty: false,
      }),
    ).toEqual([]);
  });

  it("collects every capability of a spec that uses them all, each once", () => {
    const all = needs({
      mounts: [
        { type: "bind", source: "/h", target: "/b" },
        { type: "volume", source: "v", target: "/v" },
        { type: "tmpfs", target: "/t" },
      ],
      ports: [{ containerPort: 80 }],
      capAdd: ["NET_ADMIN"],
      capDrop: ["ALL"],
      privileged: true,
      readOnlyRoot: true,
      noNewPrivileges: true,
      gpus: "all",
      extraHosts: [{ host: "h", ip: "host-gateway" }],
      resources: { cpus: 1, memoryMiB: 64, pidsLimit: 10 },
      network: "n",
      tty: true,
    });
    expect([...all].sort()).toEqual(
      [
        "bind-mounts",
        "volumes",
        "tmpfs",
        "port-publishing",
        "cap-add-drop",
        "privileged",
        "read-only-root",
        "no-new-privileges",
        "gpus",
        "extra-hosts",
        "pids-limit",
        "resource-limits",
        "networks",
        "tty",
      ].sort(),
    );
    expect(new Set(all).size).toBe(all.length);
    for (const capability of all) expect(CAPABILITIES).toContain(capability);
  });
});

describe("capabilitiesForNetwork", () => {
  it("needs internal-networks for internal and network-bridge-name for a bridge name", () => {
    expect(capabilitiesForNetwork({ name: "n" })).toEqual([]);
    expect(capabilitiesForNetwork({ name: "n", internal: false, labels: { a: "b" } })).toEqual([]);
    expect(capabilitiesForNetwork({ name: "n", internal: true })).toEqual(["internal-networks"]);
    expect(capabilitiesForNetwork({ name: "n", bridgeName: "os-n" })).toEqual(["network-bridge-name"]);
    expect(capabilitiesForNetwork({ name: "n", internal: true, bridgeName: "os-n" })).toEqual([
      "internal-networks",
      "network-bridge-name",
    ]);
    for (const capability of ["internal-networks", "network-bridge-name", "exit-codes", "interactive-tty"])
      expect(CAPABILITIES).toContain(capability);
  });
});

describe("capabilitiesForLogs", () => {
  it("needs log-since for since and log-timestamps for timestamps", () => {
    expect(capabilitiesForLogs({})).toEqual([]);
    expect(capabilitiesForLogs({ follow: true, tail: 10, stdout: true, stderr: true })).toEqual([]);
    expect(capabilitiesForLogs({ stdout: true, stderr: false })).toEqual(["log-stream-selection"]);
    expect(capabilitiesForLogs({ stdout: false })).toEqual(["log-stream-selection"]);
    expect(capabilitiesForLogs({ stdout: false, stderr: false })).toEqual([]);
    expect(capabilitiesForLogs({ since: new Date(0) })).toEqual(["log-since"]);
    expect(capabilitiesForLogs({ timestamps: true })).toEqual(["log-timestamps"]);
    expect(capabilitiesForLogs({ timestamps: false })).toEqual([]);
    expect(capabilitiesForLogs({ since: new Date(0), timestamps: true })).toEqual([
      "log-since",
      "log-timestamps",
    ]);
  });
});

describe("assertCapabilities", () => {
  const supported = new Set<Capability>(["exec", "tty", "bind-mounts", "port-publishing"]);

  function thrown(run: () => void): CapabilityError {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(CapabilityError);
      return error as CapabilityError;
    }
    throw new Error("expected a CapabilityError");
  }

  it("returns quietly when everything needed is supported", () => {
    expect(() => assertCapabilities("apple-container", supported, ["tty", "exec"])).not.toThrow();
    expect(() => assertCapabilities("apple-container", supported, [])).not.toThrow();
  });

  it("names the runtime and every missing capability, not just the first", () => {
    const error = thrown(() =>
      assertCapabilities(
        "apple-container",
        supported,
        ["tty", "gpus", "pids-limit", "gpus", "bind-mounts", "no-new-privileges"],
        "container spec",
      ),
    );
    expect(error).toBeInstanceOf(OpenShellError);
    expect(error.code).toBe("capability_missing");
    expect(error.runtime).toBe("apple-container");
    expect(error.missing).toEqual(["gpus", "pids-limit", "no-new-privileges"]);
    expect(error.message).toBe(
      "the apple-container runtime does not support: gpus, pids-limit, no-new-privileges " +
        "(needed by the container spec). Drop those options, or choose a runtime that has them " +
        "(OPENSHELL_RUNTIME=docker or podman).",
    );
  });

  it("words the advice for a single missing capability and no subject", () => {
    const error = thrown(() => assertCapabilities("apple-container", supported, ["log-since"]));
    expect(error.missing).toEqual(["log-since"]);
    expect(error.message).toBe(
      "the apple-container runtime does not support: log-since. Drop that option, or choose a runtime " +
        "that has it (OPENSHELL_RUNTIME=docker or podman).",
    );
  });

  it("checks what capabilitiesForSpec and capabilitiesForLogs report", () => {
    const spec: ContainerSpec = { image, gpus: 2, tty: true, resources: { memoryMiB: 128 } };
    const error = thrown(() =>
      assertCapabilities("apple-container", supported, capabilitiesForSpec(spec), "container spec"),
    );
    expect([...error.missing].sort()).toEqual(["gpus", "resource-limits"]);
    const logs = thrown(() =>
      assertCapabilities("apple-container", supported, capabilitiesForLogs({ timestamps: true }), "logs"),
    );
    expect(logs.missing).toEqual(["log-timestamps"]);
    expect(logs.message).toContain("(needed by the logs)");
  });
});
