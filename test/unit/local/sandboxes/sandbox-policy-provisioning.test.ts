import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CapabilityError, ContainerRuntimeError } from "../../../../src/errors.js";
import { SandboxSpecSchema } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { toConnectError } from "../../../../src/local/protocol/gateway-errors.js";
import { SandboxManager } from "../../../../src/local/sandboxes/sandbox-manager.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";
import type { Capability } from "../../../../src/runtime/capabilities.js";
import type { ContainerRuntime } from "../../../../src/runtime/container-runtime.js";
import type { ContainerSpec } from "../../../../src/runtime/container-spec.js";
import { APPLE_CONTAINER_CAPABILITIES } from "../../../../src/runtime/drivers/apple-container/apple-container-options.js";
import type { ImageInfo } from "../../../../src/runtime/image-types.js";

/**
 * A runtime double with Apple container's capabilities (extra hosts added, which local mode always
 * asks for): it records the container it is asked to create, and refuses to start it, so each test
 * ends at a definite failure once provisioning has done what it shows.
 */
function appleLikeRuntime(image: Partial<ImageInfo>) {
  const created: ContainerSpec[] = [];
  const runtime = {
    kind: "apple-container",
    endpoint: "container CLI",
    capabilities: new Set<Capability>([...APPLE_CONTAINER_CAPABILITIES, "extra-hosts"]),
    sessionId: "s1",
    sessionLabels: {},
    async inspectImage(ref: string): Promise<ImageInfo> {
      return {
        id: "sha256:1",
        tags: [ref],
        os: "linux",
        architecture: "arm64",
        sizeBytes: 1,
        labels: {},
        user: "",
        workdir: "",
        entrypoint: [],
        cmd: [],
        env: [],
        repoDigests: [],
        ...image,
      };
    },
    async createContainer(spec: ContainerSpec) {
      created.push(spec);
      return { id: "c0ffee000001", name: spec.name ?? "" };
    },
    async startContainer() {
      throw new ContainerRuntimeError("the double never starts", { runtime: "apple-container" });
    },
    async inspectContainer() {
      throw new ContainerRuntimeError("the double holds nothing", { runtime: "apple-container" });
    },
    async listContainers() {
      return [];
    },
  };
  return { runtime: runtime as unknown as ContainerRuntime, created };
}

describe("a policy on a runtime that cannot enforce all of it (Apple container's capabilities)", () => {
  let dir: string;
  let store: LocalStateStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "openshell-policy-provisioning-"));
    store = LocalStateStore.open(join(dir, "state"));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function manager(runtime: ContainerRuntime) {
    return new SandboxManager({
      runtime,
      store,
      network: "openshell-local",
      gatewayLabels: { "openshell.ai/gateway": "g1" },
      policyVersion: () => 1,
    });
  }

  function spec(policy: MessageInitShape<typeof SandboxSpecSchema>["policy"]) {
    return create(SandboxSpecSchema, { template: { image: "example/agent:1" }, policy });
  }

  async function gatewayLines(sandboxId: string, until: RegExp) {
    for (let i = 0; i < 200; i++) {
      const lines = store.readLogs(sandboxId, 100).lines;
      if (lines.some((l) => until.test(l.message))) return lines.map((l) => `${l.level} ${l.message}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no gateway line matching ${until}`);
  }

  it("refuses hard_requirement at create: FAILED_PRECONDITION naming what is missing, nothing recorded", () => {
    const { runtime, created } = appleLikeRuntime({ user: "1000:1000" });
    const sandboxes = manager(runtime);
    const error = (() => {
      try {
        sandboxes.create({
          name: "strict",
          workspace: "default",
          labels: {},
          annotations: {},
          spec: spec({ landlock: { compatibility: "hard_requirement" } }),
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ missing: ["no-new-privileges", "pids-limit"] });
    const wire = toConnectError(error);
    expect(wire.code).toBe(Code.FailedPrecondition);
    expect(wire.rawMessage).toMatch(
      /^the apple-container runtime cannot enforce spec\.policy with .*"hard_requirement"/,
    );
    expect(store.listSandboxes()).toEqual([]);
    expect(created).toEqual([]);
  });

  it("runs best_effort without what is missing, and writes a WARN line for each gap", async () => {
    const { runtime, created } = appleLikeRuntime({ user: "1000:1000", workdir: "/sandbox" });
    const sandbox = manager(runtime).create({
      name: "lenient",
      workspace: "default",
      labels: {},
      annotations: {},
      spec: spec({ landlock: { compatibility: "best_effort" } }),
    });
    const lines = await gatewayLines(sandbox.id, /could not start/);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      user: "1000:1000",
      workdir: "/sandbox",
      // The filesystem is enforced: a read-only root and writable tmpfs mounts Apple's CLI has.
      readOnlyRoot: true,
      capDrop: ["ALL"],
    });
    expect(created[0]?.mounts?.map((m) => `${m.type} ${m.target}`)).toEqual(["tmpfs /sandbox", "tmpfs /tmp"]);
    expect(created[0]?.noNewPrivileges).toBe(false);
    expect(created[0]?.resources?.pidsLimit).toBeUndefined();
    expect(lines.filter((line) => line.startsWith("WARN"))).toEqual([
      "WARN no-new-privileges is not set: the apple-container runtime cannot set it, so setuid programs in the " +
        "image can raise a process's privileges (landlock.compatibility is best_effort)",
      "WARN processes are not limited: the apple-container runtime has no pids-limit (the limit would be 1024) " +
        "(landlock.compatibility is best_effort)",
    ]);
  });

  it("fails an image that runs as root with reason RootUser before any container is made", async () => {
    const { runtime, created } = appleLikeRuntime({ user: "" });
    const sandbox = manager(runtime).create({
      name: "rooted",
      workspace: "default",
      labels: {},
      annotations: {},
      spec: spec(undefined),
    });
    const lines = await gatewayLines(sandbox.id, /would run as root/);
    expect(lines).toContain(
      "ERROR image example/agent:1 sets no USER, so the sandbox would run as root, which local mode refuses as the " +
        "gateway does: set policy.process.runAsUser and runAsGroup (run_as_user and run_as_group in a policy " +
        'file) to a non-root user and group the image has (for example "1000" and "1000"), or give the image a ' +
        "non-root USER (for example USER 1000:1000)",
    );
    expect(sandbox.record.failure?.reason).toBe("RootUser");
    expect(created).toEqual([]);
  });
});
