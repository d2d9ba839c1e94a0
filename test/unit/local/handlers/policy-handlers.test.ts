import { createHash } from "node:crypto";
import { create, type JsonValue, type MessageInitShape, toBinary, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  PolicySource,
  SandboxPolicySchema,
  SettingScope,
} from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  PolicyStatus,
  SandboxPolicyRevisionSchema,
  type UpdateConfigRequestSchema,
} from "../../../../src/gen/openshell/v1/openshell_pb.js";
import {
  activePolicyVersionOf,
  recordInitialPolicy,
} from "../../../../src/local/handlers/policy-handlers.js";
import { harnessPerTest, outcome } from "./handler-harness.js";

const h = harnessPerTest();

const initialPolicy = {
  version: 1,
  filesystem: { includeWorkdir: true, readOnly: ["/usr"], readWrite: ["/sandbox"] },
  process: { runAsUser: "sandbox", runAsGroup: "sandbox" },
  networkPolicies: { pypi: { name: "pypi", endpoints: [{ host: "pypi.org", port: 443 }] } },
};

/** The sandbox's current policy with `networkPolicies` replaced, as the SDK's policy.update sends it. */
function withRules(rules: Record<string, { host: string; port: number }>) {
  return {
    ...initialPolicy,
    networkPolicies: Object.fromEntries(
      Object.entries(rules).map(([name, endpoint]) => [name, { name, endpoints: [endpoint] }]),
    ),
  };
}

function update(req: MessageInitShape<typeof UpdateConfigRequestSchema>) {
  return h.client.updateConfig({ name: "web", ...req });
}

const statuses = async (name = "web") =>
  (await h.client.listSandboxPolicies({ name })).revisions.map((r) => [r.version, PolicyStatus[r.status]]);

describe("policy handlers", () => {
  it("has the create-time policy as revision 1, LOADED, in GetSandboxConfig and the revision list", async () => {
    const sb = h.createSandbox("web", { policy: initialPolicy });
    const config = await h.client.getSandboxConfig({ sandboxId: sb.id });
    const hash = createHash("sha256")
      .update(toBinary(SandboxPolicySchema, create(SandboxPolicySchema, initialPolicy)))
      .digest("hex");
    expect(config).toMatchObject({
      version: 1,
      policyHash: hash,
      policySource: PolicySource.SANDBOX,
      configRevision: 1n,
      workspace: "default",
      settings: {},
    });
    expect(config.policy?.networkPolicies.pypi?.endpoints[0]?.host).toBe("pypi.org");

    const [revision] = (await h.client.listSandboxPolicies({ name: "web" })).revisions;
    expect(revision).toMatchObject({
      version: 1,
      status: PolicyStatus.LOADED,
      policyHash: hash,
      provenance: { source: "create" },
    });
    expect(revision?.loadedAtMs).toBe(revision?.createdAtMs);
  });

  it("records an update as a new revision that is LOADED at once and supersedes the active one", async () => {
    const sb = h.createSandbox("web", { policy: initialPolicy });
    const res = await update({ policy: withRules({ github: { host: "api.github.com", port: 443 } }) });
    expect(res.version).toBe(2);
    expect(res.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(sb.logs.map((l) => l.message)).toEqual([
      "policy version 2 stored (pending)",
      "policy version 2 loaded",
    ]);

    const status = await h.client.getSandboxPolicyStatus({ name: "web" });
    expect(status.activeVersion).toBe(2);
    expect(status.revision).toMatchObject({
      version: 2,
      status: PolicyStatus.LOADED,
      policyHash: res.policyHash,
    });
    expect(status.revision?.provenance).toEqual({ source: "update" });
    expect(status.revision?.loadedAtMs).toBeGreaterThan(0n);

    const config = await h.client.getSandboxConfig({ sandboxId: sb.id });
    expect(config.version).toBe(2);
    expect(Object.keys(config.policy?.networkPolicies ?? {})).toEqual(["github"]);
    // The sandbox's own spec keeps the policy it was created with; its version moved on.
    expect(Object.keys(sb.spec.policy?.networkPolicies ?? {})).toEqual(["pypi"]);
    expect(sb.resourceVersion).toBe(2n);

    await update({ policy: withRules({}) });
    expect(await statuses()).toEqual([
      [3, "LOADED"],
      [2, "SUPERSEDED"],
      [1, "SUPERSEDED"],
    ]);
  });

  it("gives the active version for the sandbox's status: the newest LOADED revision", async () => {
    const sb = h.createSandbox("web");
    expect(activePolicyVersionOf(h.store, sb.id)).toBe(1);
    for (let i = 0; i < 20; i++) await update({ policy: { version: 1, networkPolicies: { [`r${i}`]: {} } } });
    expect(activePolicyVersionOf(h.store, sb.id)).toBe(21);
    // A newer revision still PENDING does not count; older LOADED ones past a page are still found.
    const status = (version: number) =>
      version === 21 ? PolicyStatus.PENDING : version === 2 ? PolicyStatus.LOADED : PolicyStatus.SUPERSEDED;
    h.store.updatePolicyRevisions<JsonValue>(sb.id, (_, version) =>
      toJson(
        SandboxPolicyRevisionSchema,
        create(SandboxPolicyRevisionSchema, { version, status: status(version) }),
      ),
    );
    expect(activePolicyVersionOf(h.store, sb.id)).toBe(2);
    expect(activePolicyVersionOf(h.store, "no-such-sandbox")).toBe(0);
  });

  it("supersedes a revision a crash left PENDING when a newer one is recorded", async () => {
    const sb = h.createSandbox("web");
    h.store.appendPolicyRevision<JsonValue>(sb.id, (version) =>
      toJson(
        SandboxPolicyRevisionSchema,
        create(SandboxPolicyRevisionSchema, {
          version,
          status: PolicyStatus.PENDING,
          policy: { version: 1 },
        }),
      ),
    );
    expect((await h.client.getSandboxPolicyStatus({ name: "web" })).activeVersion).toBe(1);
    await update({ policy: { version: 1, networkPolicies: { a: { name: "a" } } } });
    expect(await statuses()).toEqual([
      [3, "LOADED"],
      [2, "SUPERSEDED"],
      [1, "SUPERSEDED"],
    ]);
  });

  it("refuses changes to the static sections, a stale expected version, and requests that ask nothing", async () => {
    const sb = h.createSandbox("web", { policy: initialPolicy });
    expect(await outcome(update({ policy: { ...initialPolicy, filesystem: { readOnly: ["/x"] } } }))).toEqual(
      {
        code: "InvalidArgument",
        message: "policy.filesystem cannot change after the sandbox is created; only network_policies may",
      },
    );
    expect((await outcome(update({ policy: { ...initialPolicy, process: {} } }))).code).toBe(
      "InvalidArgument",
    );
    expect(
      (
        await outcome(
          update({ policy: { ...initialPolicy, landlock: { compatibility: "hard_requirement" } } }),
        )
      ).code,
    ).toBe("InvalidArgument");
    expect(await outcome(update({ policy: initialPolicy, expectedResourceVersion: 5n }))).toEqual({
      code: "Aborted",
      message: 'sandbox "web" changed since resource_version 5 (now 1)',
    });
    expect(await outcome(update({}))).toEqual({
      code: "InvalidArgument",
      message: "nothing to update: set policy, merge_operations or setting_key",
    });
    expect((await outcome(update({ settingKey: "k" }))).code).toBe("InvalidArgument");
    expect((await outcome(update({ policy: initialPolicy, global: true }))).code).toBe("Unimplemented");
    expect((await outcome(h.client.listSandboxPolicies({ name: "web", global: true }))).code).toBe(
      "Unimplemented",
    );
    expect((await outcome(update({ name: "gone", policy: initialPolicy }))).code).toBe("NotFound");
    const tooBig = { ...initialPolicy, networkPolicies: { big: { name: "x".repeat(300 * 1024) } } };
    expect(await outcome(update({ policy: tooBig }))).toEqual({
      code: "InvalidArgument",
      message: "policy is larger than 262144 bytes",
    });

    // Nothing above left a revision or bumped the sandbox.
    expect(await statuses()).toEqual([[1, "LOADED"]]);
    expect(sb.resourceVersion).toBe(1n);
    const ok = await update({ policy: withRules({}), expectedResourceVersion: 1n });
    expect(ok.version).toBe(2);
  });

  it("applies merge operations to the latest policy", async () => {
    const sb = h.createSandbox("web", { policy: initialPolicy });
    await update({
      mergeOperations: [
        {
          operation: {
            case: "addRule",
            value: { ruleName: "gh", rule: { endpoints: [{ host: "github.com", port: 443 }] } },
          },
        },
        { operation: { case: "removeRule", value: { ruleName: "pypi" } } },
      ],
    });
    const config = await h.client.getSandboxConfig({ sandboxId: sb.id });
    expect(config.policy?.networkPolicies.gh?.name).toBe("gh");
    expect(Object.keys(config.policy?.networkPolicies ?? {})).toEqual(["gh"]);
    expect(config.policy?.filesystem?.readOnly).toEqual(["/usr"]);
    expect(
      await outcome(
        update({ mergeOperations: [{ operation: { case: "removeRule", value: { ruleName: "nope" } } }] }),
      ),
    ).toEqual({ code: "NotFound", message: 'no network policy rule "nope"' });
  });

  it("keeps settings and annotations, with a settings revision, shown by GetSandboxConfig", async () => {
    const sb = h.createSandbox("web");
    const set = await update({
      settingKey: "log_level",
      settingValue: { value: { case: "stringValue", value: "debug" } },
      annotations: { who: "test" },
    });
    expect(set).toMatchObject({
      version: 1,
      settingsRevision: 1n,
      deleted: false,
      annotations: { who: "test" },
    });
    await update({
      settingKey: "limit",
      settingValue: { value: { case: "intValue", value: 9_007_199_254_740_993n } },
    });

    const config = await h.client.getSandboxConfig({ sandboxId: sb.id });
    expect(config.settings.log_level).toMatchObject({
      scope: SettingScope.SANDBOX,
      value: { value: { case: "stringValue", value: "debug" } },
    });
    expect(config.settings.limit?.value?.value).toEqual({ case: "intValue", value: 9_007_199_254_740_993n });
    expect(config.configRevision).toBe(3n);

    const removed = await update({
      settingKey: "log_level",
      deleteSetting: true,
      annotations: { more: "1" },
    });
    expect(removed).toMatchObject({
      settingsRevision: 3n,
      deleted: true,
      annotations: { who: "test", more: "1" },
    });
    expect((await update({ settingKey: "log_level", deleteSetting: true })).deleted).toBe(false);
    expect(Object.keys((await h.client.getSandboxConfig({ sandboxId: sb.id })).settings)).toEqual(["limit"]);
  });

  it("answers status for one version, NOT_FOUND for a missing one, and pages newest first", async () => {
    h.createSandbox("web");
    for (let i = 0; i < 4; i++) await update({ policy: { version: 1, networkPolicies: { [`r${i}`]: {} } } });
    const v2 = await h.client.getSandboxPolicyStatus({ name: "web", version: 2 });
    expect(v2.revision).toMatchObject({ version: 2, status: PolicyStatus.SUPERSEDED });
    expect(v2.activeVersion).toBe(5);
    expect(await outcome(h.client.getSandboxPolicyStatus({ name: "web", version: 9 }))).toEqual({
      code: "NotFound",
      message: 'sandbox "web" has no policy version 9',
    });
    const versions = async (limit: number, offset: number) =>
      (await h.client.listSandboxPolicies({ name: "web", limit, offset })).revisions.map((r) => r.version);
    expect(await versions(0, 0)).toEqual([5, 4, 3, 2, 1]);
    expect(await versions(2, 1)).toEqual([4, 3]);
    expect((await outcome(h.client.getSandboxPolicyStatus({ name: "gone" }))).code).toBe("NotFound");
    expect((await outcome(h.client.getSandboxConfig({ sandboxId: "nope" }))).code).toBe("NotFound");
  });

  it("starts the history of a sandbox that has none, and records the initial policy only once", async () => {
    const adopted = h.sandboxes.add("old", { policy: initialPolicy });
    expect((await h.client.getSandboxPolicyStatus({ name: "old" })).revision).toMatchObject({
      version: 1,
      status: PolicyStatus.LOADED,
    });
    expect(recordInitialPolicy(h.store, adopted).version).toBe(1);
    expect(await statuses("old")).toEqual([[1, "LOADED"]]);
  });

  it("keeps revisions and settings across closing and reopening the store", async () => {
    const sb = h.createSandbox("web", { policy: initialPolicy });
    await update({ policy: withRules({}) });
    await update({ settingKey: "k", settingValue: { value: { case: "boolValue", value: true } } });
    h.reopen();
    expect(await statuses()).toEqual([
      [2, "LOADED"],
      [1, "SUPERSEDED"],
    ]);
    const config = await h.client.getSandboxConfig({ sandboxId: sb.id });
    expect(config.version).toBe(2);
    expect(config.settings.k?.value?.value).toEqual({ case: "boolValue", value: true });
    expect((await update({ settingKey: "k", deleteSetting: true })).settingsRevision).toBe(2n);
  });
});
