import { describe, expect, it } from "vitest";
import { chooseImagePolicy } from "../../../../src/local/sandboxes/image-policy.js";
import type { Capability } from "../../../../src/runtime/capabilities.js";

const docker = {
  kind: "docker",
  capabilities: new Set<Capability>([
    "read-only-root",
    "tmpfs",
    "cap-add-drop",
    "no-new-privileges",
    "pids-limit",
  ]),
};
const IMAGE = "example/agent:1";
const found = (text: string) => ({ found: true as const, path: "/etc/openshell/policy.yaml", text });

describe("the policy of a sandbox created without one", () => {
  it("is the image's file when it is usable, said at INFO", () => {
    const choice = chooseImagePolicy(
      found("version: 1\nnetwork_policies:\n  a:\n    endpoints: [{ host: a.test, port: 80 }]\n"),
      IMAGE,
      docker,
    );
    expect(Object.keys(choice.policy?.networkPolicies ?? {})).toEqual(["a"]);
    expect(choice.log).toEqual([
      {
        level: "INFO",
        message: `image ${IMAGE}: the sandbox runs with the policy in /etc/openshell/policy.yaml (it was created without one)`,
      },
    ]);
  });

  it("is the default, silently, when the image has no file", () => {
    expect(chooseImagePolicy({ found: false }, IMAGE, docker)).toEqual({ log: [] });
  });

  it("is the default with a WARN when the file cannot be read, fails the schema, or cannot be enforced", () => {
    const unreadable = chooseImagePolicy({ found: false, unreadable: "no archive-copy" }, IMAGE, docker);
    expect(unreadable.policy).toBeUndefined();
    expect(unreadable.log[0]?.message).toBe(
      `the policy file of image ${IMAGE} was not read: no archive-copy; the sandbox runs with the default policy (no network access)`,
    );
    const unknown = chooseImagePolicy(found("version: 1\nnetworks: {}\n"), IMAGE, docker);
    expect(unknown.policy).toBeUndefined();
    expect(unknown.log[0]).toMatchObject({ level: "WARN" });
    expect(unknown.log[0]?.message).toMatch(
      /^image example\/agent:1: \/etc\/openshell\/policy\.yaml is not used: unknown key "networks"/,
    );
    const middleware = chooseImagePolicy(
      found("version: 1\nnetwork_middlewares:\n  scan:\n    middleware: dlp\n"),
      IMAGE,
      docker,
    );
    expect(middleware.policy).toBeUndefined();
    expect(middleware.log[0]?.message).toContain(
      "network_middlewares (scan) need the gateway's middleware services",
    );
    // Valid upstream YAML that local mode refuses, as it would refuse it at create: root.
    const root = chooseImagePolicy(found("version: 1\nprocess: { run_as_user: root }\n"), IMAGE, docker);
    expect(root.policy).toBeUndefined();
    expect(root.log[0]?.message).toContain("is not used: local mode cannot enforce it:");
    expect(root.log[0]?.message).toContain("is root");
  });
});
