import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  SandboxPolicySchema,
  type SettingValue,
} from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { PolicyStatus, UpdateConfigRequestSchema } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import {
  activePolicyVersion,
  applyLoad,
  applySettingChange,
  checkUpdateConfig,
  initialPolicyRevision,
  nextSandboxPolicy,
  pendingPolicyRevision,
  policyHash,
  supersedeIfPending,
} from "../../../../src/local/protocol/sandbox-policy.js";
import { codeOf } from "./thrown.js";

const req = (init: Parameters<typeof create<typeof UpdateConfigRequestSchema>>[1]) =>
  create(UpdateConfigRequestSchema, { name: "web", ...init });

const policy = create(SandboxPolicySchema, {
  version: 1,
  filesystem: { readOnly: ["/usr"] },
  networkPolicies: { a: { name: "a", endpoints: [{ host: "a.test", port: 443 }] } },
});

describe("policy revisions", () => {
  it("hashes the policy's bytes: equal policies, equal hashes", () => {
    expect(policyHash(policy)).toMatch(/^[0-9a-f]{64}$/);
    expect(policyHash(create(SandboxPolicySchema, policy))).toBe(policyHash(policy));
    expect(policyHash(create(SandboxPolicySchema, { version: 1 }))).not.toBe(policyHash(policy));
  });

  it("makes revision 1 LOADED from the create-time policy, or an empty one", () => {
    const first = initialPolicyRevision(policy, 1000);
    expect(first).toMatchObject({
      version: 1,
      status: PolicyStatus.LOADED,
      createdAtMs: 1000n,
      loadedAtMs: 1000n,
    });
    expect(first.policyHash).toBe(policyHash(policy));
    expect(initialPolicyRevision(undefined, 0).policy).toEqual(create(SandboxPolicySchema, { version: 1 }));
  });

  it("loads a PENDING revision, supersedes the one active before it, and leaves newer ones alone", () => {
    const revisions = [
      initialPolicyRevision(policy, 0),
      pendingPolicyRevision(2, policy, 1),
      pendingPolicyRevision(3, policy, 2),
      pendingPolicyRevision(4, policy, 3),
    ];
    // Storing 4 dooms the older pending ones.
    expect(revisions.slice(0, 3).map(supersedeIfPending)).toEqual([false, true, true]);
    expect(activePolicyVersion(revisions)).toBe(1);
    expect(revisions.map((r) => applyLoad(r, 4, 50))).toEqual([true, false, false, true]);
    expect(revisions.map((r) => PolicyStatus[r.status])).toEqual([
      "SUPERSEDED",
      "SUPERSEDED",
      "SUPERSEDED",
      "LOADED",
    ]);
    expect(revisions[3]?.loadedAtMs).toBe(50n);
    expect(activePolicyVersion(revisions)).toBe(4);
    // Loading again changes nothing.
    expect(revisions.map((r) => applyLoad(r, 4, 60))).toEqual([false, false, false, false]);
  });

  it("reports no active version while nothing is LOADED", () => {
    expect(activePolicyVersion([pendingPolicyRevision(1, policy, 0)])).toBe(0);
    expect(activePolicyVersion([])).toBe(0);
  });
});

describe("UpdateConfig rules", () => {
  it("refuses the global scope, a setting without a value, and a request that asks nothing", () => {
    expect(codeOf(() => checkUpdateConfig(req({ global: true, policy }), "local gateway"))).toBe(
      "Unimplemented",
    );
    expect(codeOf(() => checkUpdateConfig(req({ settingKey: "k" }), "g"))).toBe("InvalidArgument");
    expect(codeOf(() => checkUpdateConfig(req({}), "g"))).toBe("InvalidArgument");
    expect(codeOf(() => checkUpdateConfig(req({ settingKey: "k", deleteSetting: true }), "g"))).toBe("OK");
    expect(codeOf(() => checkUpdateConfig(req({ policy }), "g"))).toBe("OK");
  });

  it("sets and deletes settings, saying whether a deleted key was there", () => {
    const settings = new Map<string, SettingValue>();
    const value = { value: { case: "boolValue" as const, value: true } };
    expect(applySettingChange(settings, req({ policy }))).toBeUndefined();
    expect(applySettingChange(settings, req({ settingKey: "k", settingValue: value }))).toEqual({
      deleted: false,
    });
    expect(settings.get("k")?.value).toEqual({ case: "boolValue", value: true });
    expect(applySettingChange(settings, req({ settingKey: "k", deleteSetting: true }))).toEqual({
      deleted: true,
    });
    expect(applySettingChange(settings, req({ settingKey: "k", deleteSetting: true }))).toEqual({
      deleted: false,
    });
  });

  it("makes the next policy from the request or the current one, merges applied, static sections kept", () => {
    expect(nextSandboxPolicy(policy, req({ settingKey: "k", deleteSetting: true }))).toBeUndefined();
    const replaced = nextSandboxPolicy(
      policy,
      req({
        policy: { version: 1, filesystem: { readOnly: ["/usr"] }, networkPolicies: { b: { name: "b" } } },
      }),
    );
    expect(Object.keys(replaced?.networkPolicies ?? {})).toEqual(["b"]);
    const merged = nextSandboxPolicy(
      policy,
      req({ mergeOperations: [{ operation: { case: "addRule", value: { ruleName: "c" } } }] }),
    );
    expect(Object.keys(merged?.networkPolicies ?? {})).toEqual(["a", "c"]);
    expect(policy.networkPolicies.c).toBeUndefined();
    expect(codeOf(() => nextSandboxPolicy(policy, req({ policy: { version: 1 } })))).toBe("InvalidArgument");
    // No current policy: the empty one, whose sections are all unset.
    expect(
      nextSandboxPolicy(undefined, req({ policy: { networkPolicies: { x: {} } } }))?.networkPolicies.x,
    ).toBeDefined();
    // Unset and empty sections are the same thing.
    expect(codeOf(() => nextSandboxPolicy(undefined, req({ policy: { filesystem: {}, process: {} } })))).toBe(
      "OK",
    );
  });
});
