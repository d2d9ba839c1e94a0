import { describe, expect, it } from "vitest";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type OpenShell,
  type SandboxPolicyInit,
} from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, useTestGatewayClient } from "../../support/test-gateway-client.js";

const pypi: SandboxPolicyInit = {
  networkPolicies: {
    pypi: { endpoints: [{ host: "pypi.org", port: 443 }], binaries: [{ path: "/usr/bin/pip" }] },
  },
};
const github: SandboxPolicyInit = {
  networkPolicies: { gh: { endpoints: [{ host: "api.github.com", port: 443 }] } },
};

/** `os.policy.global` end to end over real HTTP/2 and mTLS (SEMANTICS §8, the `global` scope). */
describe("os.policy.global", () => {
  let gateway: TestGateway;
  let os: OpenShell;
  useTestGatewayClient(async (client) => {
    ({ gateway, os } = client);
    await os.sandboxes.create({ name: "box", command: ["sleep", "60"] });
  });

  it("before any global policy: get is undefined, status NotFoundError, no revisions", async () => {
    expect(await os.policy.global.get()).toBeUndefined();
    const err = await rejection(os.policy.global.status());
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain("no global policy revision found");
    expect(await os.policy.global.revisions()).toEqual([]);
    expect((await os.policy.get("box")).source).toBe("sandbox");
  });

  it("set makes it every sandbox's effective policy, loaded at once", async () => {
    const settingsBefore = (await os.policy.settings.gateway()).settingsRevision;
    const set = await os.policy.global.set(pypi);
    expect(set.version).toBe(1);
    expect(set.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(set.settingsRevision).toBe(settingsBefore + 1n);

    const current = await os.policy.global.get();
    expect(current).toMatchObject({ version: 1, policyHash: set.policyHash, status: "loaded" });
    // The rule is named after its key.
    expect(current?.policy.networkPolicies.pypi?.name).toBe("pypi");
    expect(current?.policy.networkPolicies.pypi?.endpoints[0]?.host).toBe("pypi.org");

    const effective = await os.policy.get("box");
    expect(effective.source).toBe("global");
    expect(effective.policyHash).toBe(set.policyHash);
    expect(Object.keys(effective.policy.networkPolicies)).toEqual(["pypi"]);
  });

  it("the same policy again makes no revision; another supersedes it", async () => {
    const again = await os.policy.global.set(pypi);
    expect(again.version).toBe(1);
    const next = await os.policy.global.set(github);
    expect(next.version).toBe(2);
    const revisions = await os.policy.global.revisions();
    expect(revisions.map((r) => [r.version, r.status])).toEqual([
      [2, "loaded"],
      [1, "superseded"],
    ]);
    expect(revisions[0]?.policy).toBeUndefined();
    expect((await os.policy.global.status({ version: 1 })).policy?.networkPolicies.pypi).toBeDefined();
    expect((await os.policy.global.revisions({ limit: 1, offset: 1 })).map((r) => r.version)).toEqual([1]);
  });

  it("while it is set, sandbox policy changes and draft approvals are FailedPreconditionError", async () => {
    const update = await rejection(os.policy.update("box", { networkPolicies: {} }));
    expect(update).toBeInstanceOf(FailedPreconditionError);
    expect((update as Error).message).toContain("policy is managed globally; delete global policy");

    const proposed = await os.raw.openshell.submitPolicyAnalysis({
      name: "box",
      proposedChunks: [
        {
          ruleName: "npm",
          binary: "/usr/bin/node",
          rationale: "denied registry.npmjs.org:443",
          proposedRule: {
            name: "npm",
            endpoints: [{ host: "registry.npmjs.org", port: 443 }],
            binaries: [{ path: "/usr/bin/node" }],
          },
        },
      ],
    });
    const chunk = (await os.policy.drafts.get("box")).chunks.find(
      (c) => c.id === proposed.acceptedChunkIds[0],
    );
    if (!chunk) throw new Error("the test gateway did not keep the proposed chunk");
    const approve = await rejection(os.policy.drafts.approve("box", chunk));
    expect(approve).toBeInstanceOf(FailedPreconditionError);
    expect((approve as Error).message).toContain("delete the global policy to manage per-sandbox rules");
  });

  it("delete gives each sandbox its own policy back", async () => {
    expect(await os.policy.global.delete()).toBe(true);
    expect(await os.policy.global.delete()).toBe(false);
    expect(await os.policy.global.get()).toBeUndefined();
    expect((await os.policy.global.status()).status).toBe("superseded");
    expect((await os.policy.get("box")).source).toBe("sandbox");
    const updated = await os.policy.update("box", { networkPolicies: {} });
    expect(updated.status).toBe("pending");
  });

  it("bad inputs are refused naming the field, before any request", async () => {
    const calls = gateway.state.calls.length;
    const huge = { networkPolicies: { big: { endpoints: [{ host: "x".repeat(200) }] } } };
    const hugeRules = Object.fromEntries(
      Array.from({ length: 1400 }, (_, i) => [`r${i}`, huge.networkPolicies.big]),
    );
    const cases: [string, Promise<unknown>][] = [
      ["policy.networkPolicies.bad key", os.policy.global.set({ networkPolicies: { "bad key": {} } })],
      [
        "policy.networkPolicies.gh.endpoints.0.port",
        os.policy.global.set({
          networkPolicies: { gh: { endpoints: [{ host: "h", port: "443" as unknown as number }] } },
        }),
      ],
      ["policy.filesytem", os.policy.global.set({ filesytem: {} } as SandboxPolicyInit)],
      ["policy", os.policy.global.set({ networkPolicies: hugeRules })],
      ["version", os.policy.global.status({ version: -1 })],
      ["limit", os.policy.global.revisions({ limit: 1.5 })],
    ];
    for (const [field, call] of cases) {
      const err = await rejection(call);
      expect(err, field).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field, field).toBe(field);
    }
    expect(gateway.state.calls.length).toBe(calls);
  });
});
