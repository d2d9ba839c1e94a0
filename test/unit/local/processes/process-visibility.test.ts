import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CapabilityError } from "../../../../src/errors.js";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  binariesNotEnforced,
  type ProcessVisibility,
  processVisibility,
  type VisibilityFacts,
} from "../../../../src/local/processes/process-visibility.js";

const facts: VisibilityFacts = {
  runtime: { kind: "docker", rootless: false },
  endpoint: "unix:///var/run/docker.sock",
  platform: "linux",
  uid: 0,
};

const policy = (compatibility: string) =>
  create(SandboxPolicySchema, {
    landlock: { compatibility },
    networkPolicies: {
      gh: { endpoints: [{ host: "api.github.com", port: 443 }], binaries: [{ path: "/usr/bin/curl" }] },
      open: { endpoints: [{ host: "pypi.org", port: 443 }] },
    },
  });

describe("whether the gateway sees its sandboxes' processes", () => {
  it("does as root on Linux beside a rootful Docker or Podman on this host", () => {
    expect(processVisibility(facts)).toEqual({ visible: true });
    expect(processVisibility({ ...facts, runtime: { kind: "podman", rootless: false } })).toEqual({
      visible: true,
    });
  });

  it("does not anywhere else, and says why", () => {
    const why = (changed: Partial<VisibilityFacts>) => {
      const result = processVisibility({ ...facts, ...changed });
      return result.visible ? "visible" : result.why;
    };
    expect(why({ uid: 1000 })).toMatch(/does not run as root/);
    expect(why({ runtime: { kind: "podman", rootless: true } })).toMatch(/podman engine is rootless/);
    expect(why({ platform: "darwin" })).toMatch(/runs in a VM on darwin/);
    expect(why({ endpoint: "tcp://10.0.0.5:2375" })).toMatch(/may run on another host/);
    expect(why({ runtime: { kind: "apple-container", rootless: false } })).toMatch(/in a VM/);
  });
});

describe("binaries the gateway cannot enforce", () => {
  const hidden: ProcessVisibility = { visible: false, why: "the podman engine is rootless" };

  it("refuses them under hard_requirement with a CapabilityError naming process-identity", () => {
    let error: unknown;
    try {
      binariesNotEnforced(policy("hard_requirement"), hidden, "podman");
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "podman", missing: ["process-identity"] });
    expect((error as Error).message).toContain('network_policies["gh"].binaries cannot be enforced');
    expect((error as Error).message).toContain("the podman engine is rootless");
  });

  it("warns under best_effort (and an empty compatibility) that the rules apply to every process", () => {
    for (const compatibility of ["best_effort", ""]) {
      expect(binariesNotEnforced(policy(compatibility), hidden, "podman")).toMatch(
        /^network_policies\["gh"\]\.binaries not enforced: the podman engine is rootless \(capability process-identity\), so these rules apply to every process/,
      );
    }
  });

  it("says nothing where the gateway sees processes or no rule names binaries", () => {
    expect(binariesNotEnforced(policy("hard_requirement"), { visible: true }, "docker")).toBeUndefined();
    const none = create(SandboxPolicySchema, {
      landlock: { compatibility: "hard_requirement" },
      networkPolicies: { open: { endpoints: [{ host: "pypi.org", port: 443 }], binaries: [] } },
    });
    expect(binariesNotEnforced(none, hidden, "podman")).toBeUndefined();
  });
});
