import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import { SandboxSpecSchema } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import {
  KEEP_ALIVE_COMMAND,
  type SandboxContainerOptions,
  sandboxContainer,
} from "../../../../src/local/sandboxes/sandbox-container-spec.js";
import type { ImageConfig } from "../../../../src/local/sandboxes/static-policy.js";
import { CAPABILITIES, type Capability } from "../../../../src/runtime/capabilities.js";

const sandbox = { id: "0b5f3c1e-8a4e-4a8c-9d2b-2f1f5f0b7c11", name: "web", workspace: "default" };
const options = { network: "openshell-local" };
const docker = { kind: "docker", capabilities: new Set<Capability>(CAPABILITIES) };
const nonRootImage: ImageConfig = {
  user: "1000:1000",
  workdir: "/sandbox",
  accounts: { passwd: [{ name: "sandbox", uid: 1000, gid: 1000 }], group: [{ name: "sandbox", gid: 1000 }] },
};

/** The container spec on Docker, for an image with a non-root USER. */
function sandboxContainerSpec(
  spec: Parameters<typeof sandboxContainer>[0],
  identity: typeof sandbox,
  containerOptions: SandboxContainerOptions,
) {
  return sandboxContainer(spec, identity, containerOptions, docker, nonRootImage).spec;
}

describe("sandboxContainer", () => {
  it("runs the sandbox's command as the container's whole argv, with env, labels, user and limits", () => {
    const spec = create(SandboxSpecSchema, {
      command: ["python3", "-m", "http.server"],
      tty: true,
      environment: { MODE: "spec", ONLY_SPEC: "1" },
      template: {
        image: "python:3.12",
        environment: { MODE: "template", ONLY_TEMPLATE: "1" },
        labels: { team: "a", "openshell.ai/sandbox-id": "spoofed" },
        resources: { limits: { cpu: "500m", memory: "256Mi" } },
      },
      policy: { process: { runAsUser: "sandbox", runAsGroup: "sandbox" } },
      resourceRequirements: { gpu: {} },
    });
    expect(sandboxContainerSpec(spec, sandbox, options)).toEqual({
      name: `openshell-default--web-${sandbox.id}`,
      image: "python:3.12",
      entrypoint: ["python3"],
      command: ["-m", "http.server"],
      env: { MODE: "spec", ONLY_SPEC: "1", ONLY_TEMPLATE: "1" },
      labels: {
        team: "a",
        "openshell.ai/managed-by": "openshell",
        "openshell.ai/sandbox-id": sandbox.id,
        "openshell.ai/sandbox-name": "web",
        "openshell.ai/sandbox-workspace": "default",
      },
      // The names resolved in the image's accounts: the engine gets the numbers that were checked.
      user: "1000:1000",
      workdir: "/sandbox",
      readOnlyRoot: true,
      mounts: [
        { type: "tmpfs", target: "/sandbox", mode: 0o1777, exec: true, userOwned: true },
        { type: "tmpfs", target: "/tmp", mode: 0o1777, exec: true, userOwned: true },
      ],
      capDrop: ["ALL"],
      noNewPrivileges: true,
      resources: { cpus: 0.5, memoryMiB: 256, pidsLimit: 1024 },
      gpus: 1,
      network: "openshell-local",
      tty: true,
    });
  });

  it("keeps a sandbox without a command alive for exec, without a terminal", () => {
    const result = sandboxContainerSpec(
      create(SandboxSpecSchema, { template: { image: "busybox" }, tty: true }),
      sandbox,
      options,
    );
    expect([...(result.entrypoint ?? []), ...(result.command ?? [])]).toEqual(KEEP_ALIVE_COMMAND);
    expect(result.tty).toBe(false);
    expect(result.user).toBe("1000:1000");
    expect(result.gpus).toBeUndefined();
  });

  it("sets the egress variables after the template's and the spec's, and appends the extra mounts", () => {
    const spec = create(SandboxSpecSchema, {
      environment: { HTTP_PROXY: "spec", KEEP: "1" },
      template: { image: "busybox", environment: { HTTP_PROXY: "template" } },
    });
    const result = sandboxContainerSpec(spec, sandbox, {
      ...options,
      egressEnv: { HTTP_PROXY: "http://gateway:3128" },
      extraMounts: [{ type: "bind", source: "/host/ca.pem", target: "/etc/ssl/ca.pem", readOnly: true }],
    });
    expect(result.env).toEqual({ HTTP_PROXY: "http://gateway:3128", KEEP: "1" });
    // No egress, no host to name; with it, the host's address on the sandbox network.
    expect(sandboxContainerSpec(spec, sandbox, options).extraHosts).toBeUndefined();
    expect(
      sandboxContainerSpec(spec, sandbox, { ...options, hostAliasAddress: "10.88.4.1" }).extraHosts,
    ).toEqual([{ host: "host.openshell.internal", ip: "10.88.4.1" }]);
    expect(result.mounts?.map((m) => m.target)).toEqual(["/sandbox", "/tmp", "/etc/ssl/ca.pem"]);
  });

  it("leaves out the host alias entry on a runtime that cannot add host entries (Apple container), instead of failing the create", () => {
    const spec = create(SandboxSpecSchema, { template: { image: "busybox" } });
    const apple = {
      kind: "apple-container",
      capabilities: new Set<Capability>(CAPABILITIES.filter((c) => c !== "extra-hosts")),
    };
    const { spec: container } = sandboxContainer(
      spec,
      sandbox,
      { ...options, hostAliasAddress: "192.168.70.1" },
      apple,
      nonRootImage,
    );
    expect(container.extraHosts).toBeUndefined();
  });

  it("takes the template's limits.pids as the PID limit", () => {
    const spec = create(SandboxSpecSchema, {
      template: { image: "busybox", resources: { limits: { pids: 64 } } },
    });
    expect(sandboxContainerSpec(spec, sandbox, options).resources).toEqual({ pidsLimit: 64 });
  });

  it("uses the configured default image, and without one names the field to set", () => {
    const bare = create(SandboxSpecSchema, {});
    expect(sandboxContainerSpec(bare, sandbox, { ...options, defaultImage: "busybox:1" }).image).toBe(
      "busybox:1",
    );
    const error = (() => {
      try {
        sandboxContainerSpec(bare, sandbox, options);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe("spec.template.image");
  });
});
