import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FailedPreconditionError, InvalidArgumentError } from "../../../../src/errors.js";
import {
  SandboxSpecSchema,
  SandboxWorkloadTemplateSpecSchema,
} from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { sandboxContainer } from "../../../../src/local/sandboxes/sandbox-container-spec.js";
import type { ImageConfig } from "../../../../src/local/sandboxes/static-policy.js";
import {
  applyWorkloadTemplate,
  checkTemplatedSpec,
} from "../../../../src/local/templates/template-application.js";
import { CAPABILITIES, type Capability } from "../../../../src/runtime/capabilities.js";

const docker = { kind: "docker", capabilities: new Set<Capability>(CAPABILITIES) };
const nonRootImage: ImageConfig = {
  user: "1000:1000",
  workdir: "/sandbox",
  accounts: { passwd: [{ name: "sandbox", uid: 1000, gid: 1000 }], group: [{ name: "sandbox", gid: 1000 }] },
};
const identity = { id: "0b5f3c1e-8a4e-4a8c-9d2b-2f1f5f0b7c11", name: "web", workspace: "default" };

function template(spec: MessageInitShape<typeof SandboxWorkloadTemplateSpecSchema>, resourceVersion = 3) {
  return { name: "py", resourceVersion, spec: create(SandboxWorkloadTemplateSpecSchema, spec) };
}

const request = (spec: MessageInitShape<typeof SandboxSpecSchema>) => create(SandboxSpecSchema, spec);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}

describe("applyWorkloadTemplate", () => {
  const py = template({
    workload: {
      image: "python:3.12",
      environment: { GREETING: "hi", MODE: "template" },
      resources: { cpu: "500m", memory: "256Mi", gpu: { count: 2 } },
    },
  });

  it("takes image, environment, cpu/memory limits and GPUs from the template, policy and providers from the request", () => {
    const policy = { version: 1, filesystem: { readOnly: ["/usr"] } };
    const { spec, provenance } = applyWorkloadTemplate(
      py,
      request({ providers: ["gh"], policy, command: ["sleep", "60"], tty: true }),
      "docker",
    );
    expect(provenance).toEqual({ name: "py", resourceVersion: "3" });
    expect(spec.template?.image).toBe("python:3.12");
    expect(spec.environment).toEqual({ GREETING: "hi", MODE: "template" });
    expect(spec.template?.resources).toEqual({ limits: { cpu: "500m", memory: "256Mi" } });
    expect(spec.resourceRequirements?.gpu?.count).toBe(2);
    expect(spec.providers).toEqual(["gh"]);
    expect(spec.policy?.filesystem?.readOnly).toEqual(["/usr"]);
    // Kept, unlike upstream's PR head (see applyWorkloadTemplate).
    expect(spec.command).toEqual(["sleep", "60"]);
    expect(spec.tty).toBe(true);

    // What the engine is then asked for: the same container a plain create with these values gets.
    const container = sandboxContainer(spec, identity, { network: "n" }, docker, nonRootImage).spec;
    expect(container.image).toBe("python:3.12");
    expect(container.env).toEqual({ GREETING: "hi", MODE: "template" });
    expect(container.resources).toMatchObject({ cpus: 0.5, memoryMiB: 256 });
    expect(container.gpus).toBe(2);
    expect([...(container.entrypoint ?? []), ...(container.command ?? [])]).toEqual(["sleep", "60"]);
  });

  it("leaves out what the template does not set: no limits, no GPUs, no command", () => {
    const { spec } = applyWorkloadTemplate(
      template({ workload: { image: "busybox:1" } }, 1),
      undefined,
      "docker",
    );
    expect(spec.template?.image).toBe("busybox:1");
    expect(spec.template?.resources).toBeUndefined();
    expect(spec.resourceRequirements).toBeUndefined();
    expect(spec.command).toEqual([]);
    expect(spec.environment).toEqual({});
    const container = sandboxContainer(spec, identity, { network: "n" }, docker, nonRootImage).spec;
    expect(container.resources?.cpus).toBeUndefined();
    expect(container.resources?.memoryMiB).toBeUndefined();
    expect(container.gpus).toBeUndefined();
  });

  it("asks for one GPU when the template's GPU requirement has no count", () => {
    const { spec } = applyWorkloadTemplate(
      template({ workload: { image: "x:1", resources: { gpu: {} } } }),
      undefined,
      "podman",
    );
    expect(sandboxContainer(spec, identity, { network: "n" }, docker, nonRootImage).spec.gpus).toBe(1);
  });

  it("keeps another driver's driver_config in the snapshot and refuses one for this runtime's driver", () => {
    const k8s = template({
      workload: { image: "x:1" },
      driverConfig: { kubernetes: { nodeSelector: "gpu" } },
    });
    expect(applyWorkloadTemplate(k8s, undefined, "docker").spec.template?.driverConfig).toEqual({
      kubernetes: { nodeSelector: "gpu" },
    });
    const own = template({ workload: { image: "x:1" }, driverConfig: { podman: { shm_size: "1g" } } });
    expect(applyWorkloadTemplate(own, undefined, "docker").spec.template?.image).toBe("x:1");
    const error = thrown(() => applyWorkloadTemplate(own, undefined, "podman"));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect((error as Error).message).toBe(
      'sandbox template "py" sets driver_config.podman, which local mode does not apply (it runs podman ' +
        "containers from the template's image, environment and resources only): remove " +
        "driver_config.podman from the template, or create the sandbox on an OpenShell gateway " +
        "(OpenShell.connect()) whose driver applies it",
    );
  });
});

describe("checkTemplatedSpec", () => {
  it("lets policy, providers, command and tty through", () => {
    expect(() =>
      checkTemplatedSpec(
        request({ providers: ["gh"], policy: { version: 1 }, command: ["x"], tty: true }),
        "py",
      ),
    ).not.toThrow();
    expect(() => checkTemplatedSpec(undefined, "py")).not.toThrow();
  });

  it("refuses every field the template owns, naming each", () => {
    const cases: [MessageInitShape<typeof SandboxSpecSchema>, string][] = [
      [{ logLevel: "debug" }, "spec.log_level"],
      [{ environment: { A: "1" } }, "spec.environment"],
      [{ template: {} }, "spec.template"],
      [{ resourceRequirements: { gpu: { count: 1 } } }, "spec.resource_requirements"],
    ];
    for (const [spec, field] of cases) {
      const error = thrown(() => checkTemplatedSpec(request(spec), "py"));
      expect(error, field).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe(field);
      expect((error as Error).message).toMatch(
        new RegExp(`^${field} cannot be set with workload_template_name "py": the template owns`),
      );
    }
    const both = thrown(() =>
      checkTemplatedSpec(request({ logLevel: "info", template: { image: "x" } }), "py"),
    );
    expect((both as Error).message).toMatch(/^spec\.log_level, spec\.template cannot be set/);
  });
});
