import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PolicyLoadError } from "../../../../src/client/policy/policy-load-error.js";
import { PolicyService } from "../../../../src/client/policy/policy-service.js";
import type { RequestOptions, WorkspaceOptions } from "../../../../src/client/request-options.js";
import {
  CanceledError,
  InvalidArgumentError,
  NotFoundError,
  type OpenShellError,
  TimeoutError,
} from "../../../../src/errors.js";
import {
  NetworkPolicyRuleSchema,
  PolicySource,
  SandboxPolicySchema,
} from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  OpenShell,
  PolicyStatus,
  type UpdateConfigRequest,
} from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { memoryCalls } from "../../support/memory-gateway.js";

/** Stand-in for SandboxService.resolveId: one known sandbox. */
function resolver(calls: string[] = []) {
  return {
    async resolveId(name: string, options?: WorkspaceOptions & RequestOptions): Promise<string> {
      calls.push(`${name}@${options?.workspace ?? "default"}`);
      if (name !== "sb-1") throw new NotFoundError(`sandbox "${name}" not found`);
      return "uuid-sb-1";
    },
  };
}

const currentPolicy = create(SandboxPolicySchema, {
  version: 1,
  filesystem: { includeWorkdir: true, readOnly: ["/usr"], readWrite: ["/sandbox", "/tmp"] },
  landlock: { compatibility: "best_effort" },
  process: { runAsUser: "sandbox", runAsGroup: "sandbox" },
  networkPolicies: { pypi: { name: "pypi", endpoints: [{ host: "pypi.org", port: 443 }] } },
});

function revision(version: number, status: PolicyStatus, loadError = "") {
  return { version, policyHash: `hash-${version}`, status, loadError, createdAtMs: 1_000n, loadedAtMs: 0n };
}

async function rejection(promise: Promise<unknown>): Promise<OpenShellError> {
  try {
    await promise;
  } catch (err) {
    return err as OpenShellError;
  }
  throw new Error("expected the call to reject");
}

/** A gateway with one sandbox whose policy revisions follow `statuses`, one per status poll. */
function gateway(statuses: PolicyStatus[] = [], loadError = "") {
  const state = { updates: [] as UpdateConfigRequest[], polls: [] as number[], configIds: [] as string[] };
  const calls = memoryCalls((r) =>
    r.service(OpenShell, {
      getSandboxConfig(req) {
        state.configIds.push(req.sandboxId);
        return {
          policy: currentPolicy,
          version: 1,
          policyHash: "hash-1",
          configRevision: 12n,
          policySource: PolicySource.SANDBOX,
        };
      },
      updateConfig(req) {
        state.updates.push(req);
        return { version: 2, policyHash: "hash-2" };
      },
      getSandboxPolicyStatus(req) {
        state.polls.push(req.version);
        const status =
          statuses[Math.min(state.polls.length - 1, statuses.length - 1)] ?? PolicyStatus.PENDING;
        return { revision: revision(req.version, status, loadError), activeVersion: 1 };
      },
    }),
  );
  return { calls, state };
}

describe("PolicyService.get", () => {
  it("resolves the name to an id and curates the config", async () => {
    const { calls, state } = gateway();
    const resolved: string[] = [];
    const config = await new PolicyService(calls, resolver(resolved)).get("sb-1", { workspace: "ws" });
    expect(resolved).toEqual(["sb-1@ws"]);
    expect(state.configIds).toEqual(["uuid-sb-1"]);
    expect(config.version).toBe(1);
    expect(config.policyHash).toBe("hash-1");
    expect(config.configRevision).toBe(12n);
    expect(config.source).toBe("sandbox");
    expect(Object.keys(config.policy.networkPolicies)).toEqual(["pypi"]);
  });

  it("fails with NotFoundError for an unknown sandbox, and validates the name", async () => {
    const { calls } = gateway();
    const service = new PolicyService(calls, resolver());
    await expect(service.get("other")).rejects.toBeInstanceOf(NotFoundError);
    const err = await rejection(service.get("Bad_Name"));
    expect((err as InvalidArgumentError).field).toBe("sandbox name");
  });
});

describe("PolicyService.update", () => {
  it("replaces only network_policies and sends the expected version", async () => {
    const { calls, state } = gateway();
    const result = await new PolicyService(calls, resolver()).update("sb-1", {
      networkPolicies: {
        github: { endpoints: [{ host: "api.github.com", port: 443 }], binaries: [{ path: "/usr/bin/git" }] },
      },
      expectedResourceVersion: 12n,
    });
    expect(result).toEqual({ version: 2, policyHash: "hash-2", status: "pending" });
    expect(state.polls).toEqual([]);
    const sent = state.updates[0];
    expect(state.updates).toHaveLength(1);
    expect(sent?.name).toBe("sb-1");
    expect(sent?.workspace).toBe("default");
    expect(sent?.expectedResourceVersion).toBe(12n);
    expect(sent?.policy?.filesystem).toEqual(currentPolicy.filesystem);
    expect(sent?.policy?.landlock).toEqual(currentPolicy.landlock);
    expect(sent?.policy?.process).toEqual(currentPolicy.process);
    expect(Object.keys(sent?.policy?.networkPolicies ?? {})).toEqual(["github"]);
    const rule = sent?.policy?.networkPolicies.github;
    expect(rule?.name).toBe("github");
    expect(rule?.endpoints[0]?.host).toBe("api.github.com");
    expect(rule?.binaries[0]?.path).toBe("/usr/bin/git");
    // Settings and merge operations are other UpdateConfig modes: the SDK must not touch them.
    expect(sent?.settingKey).toBe("");
    expect(sent?.mergeOperations).toEqual([]);
    expect(sent?.global).toBe(false);
  });

  it("does not change a rule message the caller passed in", async () => {
    const { calls, state } = gateway();
    const rule = create(NetworkPolicyRuleSchema, { endpoints: [{ host: "example.com", port: 443 }] });
    await new PolicyService(calls, resolver()).update("sb-1", { networkPolicies: { web: rule } });
    expect(rule.name).toBe("");
    expect(state.updates[0]?.policy?.networkPolicies.web?.name).toBe("web");
  });

  it("sends 0 (no check) when no expected version is given", async () => {
    const { calls, state } = gateway();
    await new PolicyService(calls, resolver()).update("sb-1", { networkPolicies: {} });
    expect(state.updates[0]?.expectedResourceVersion).toBe(0n);
    expect(state.updates[0]?.policy?.networkPolicies).toEqual({});
  });

  it.each([
    [{}, "networkPolicies"],
    [{ networkPolicies: { "bad key": {} } }, "networkPolicies.bad key"],
    [
      { networkPolicies: { gh: { endpoints: [{ host: "x", port: 70000 }] } } },
      "networkPolicies.gh.endpoints.0.port",
    ],
    [
      { networkPolicies: { gh: { endpoints: [{ host: "x", tls: "maybe" }] } } },
      "networkPolicies.gh.endpoints.0.tls",
    ],
    [{ networkPolicies: { gh: { binaries: [{ path: "" }] } } }, "networkPolicies.gh.binaries.0.path"],
    [{ networkPolicies: {}, expectedResourceVersion: -1n }, "expectedResourceVersion"],
    [{ networkPolicies: {}, wait: { timeoutMs: 0 } }, "wait.timeoutMs"],
  ])("rejects %o before any call, naming %s", async (input, field) => {
    const { calls, state } = gateway();
    const err = await rejection(new PolicyService(calls, resolver()).update("sb-1", input as never));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe(field);
    expect(state.configIds).toEqual([]);
    expect(state.updates).toEqual([]);
  });

  it("rejects a policy over 256 KiB without sending it", async () => {
    const { calls, state } = gateway();
    const endpoints = Array.from({ length: 3000 }, (_, i) => ({
      host: `${"h".repeat(100)}-${i}.example.com`,
      port: 443,
    }));
    const err = await rejection(
      new PolicyService(calls, resolver()).update("sb-1", { networkPolicies: { big: { endpoints } } }),
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe("networkPolicies");
    expect(err.message).toContain("256 KiB");
    expect(state.updates).toEqual([]);
  });

  it("waits until the new revision is LOADED", async () => {
    const { calls, state } = gateway([PolicyStatus.PENDING, PolicyStatus.PENDING, PolicyStatus.LOADED]);
    const result = await new PolicyService(calls, resolver()).update("sb-1", {
      networkPolicies: {},
      wait: { pollIntervalMs: 5, timeoutMs: 2000 },
    });
    expect(result).toEqual({ version: 2, policyHash: "hash-2", status: "loaded" });
    expect(state.polls).toEqual([2, 2, 2]);
  });

  it("throws PolicyLoadError carrying load_error when the revision FAILED", async () => {
    const { calls } = gateway([PolicyStatus.PENDING, PolicyStatus.FAILED], "unknown protocol 'ftp'");
    const err = await rejection(
      new PolicyService(calls, resolver()).update("sb-1", {
        networkPolicies: {},
        wait: { pollIntervalMs: 5 },
      }),
    );
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect(err.code).toBe("failed_precondition");
    expect((err as PolicyLoadError).loadError).toBe("unknown protocol 'ftp'");
    expect((err as PolicyLoadError).version).toBe(2);
    expect(err.message).toContain("unknown protocol 'ftp'");
  });

  it("returns superseded when a newer revision replaced it", async () => {
    const { calls } = gateway([PolicyStatus.SUPERSEDED]);
    const result = await new PolicyService(calls, resolver()).update("sb-1", {
      networkPolicies: {},
      wait: true,
    });
    expect(result.status).toBe("superseded");
  });

  it("fails with TimeoutError when the revision stays pending", async () => {
    const { calls, state } = gateway([PolicyStatus.PENDING]);
    const started = Date.now();
    const err = await rejection(
      new PolicyService(calls, resolver()).update("sb-1", {
        networkPolicies: {},
        wait: { timeoutMs: 150, pollIntervalMs: 10 },
      }),
    );
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toContain("still pending");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(state.polls.length).toBeGreaterThan(1);
  });

  it("stops waiting with CanceledError when the signal fires", async () => {
    const { calls } = gateway([PolicyStatus.PENDING]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await rejection(
      new PolicyService(calls, resolver()).update(
        "sb-1",
        { networkPolicies: {}, wait: { timeoutMs: 10_000, pollIntervalMs: 10 } },
        { signal: controller.signal },
      ),
    );
    expect(err).toBeInstanceOf(CanceledError);
  });
});

describe("PolicyService.status and revisions", () => {
  it("curates a revision and passes the version asked for", async () => {
    const seen: number[] = [];
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        getSandboxPolicyStatus(req) {
          seen.push(req.version);
          return {
            revision: {
              version: 3,
              policyHash: "h3",
              status: PolicyStatus.LOADED,
              createdAtMs: 1_000n,
              loadedAtMs: 2_000n,
              policy: currentPolicy,
            },
            activeVersion: 3,
          };
        },
      }),
    );
    const service = new PolicyService(calls, resolver());
    const latest = await service.status("sb-1");
    await service.status("sb-1", { version: 3 });
    expect(seen).toEqual([0, 3]);
    expect(latest.activeVersion).toBe(3);
    expect(latest.revision).toMatchObject({
      version: 3,
      policyHash: "h3",
      status: "loaded",
      createdAt: new Date(1_000),
      loadedAt: new Date(2_000),
    });
    expect(latest.revision.loadError).toBeUndefined();
    expect(latest.revision.policy?.landlock?.compatibility).toBe("best_effort");
    const err = await rejection(service.status("sb-1", { version: -1 }));
    expect((err as InvalidArgumentError).field).toBe("version");
  });

  it("lists revisions with paging", async () => {
    const seen: string[] = [];
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        listSandboxPolicies(req) {
          seen.push(`${req.name} ${req.limit} ${req.offset} ${req.workspace}`);
          return {
            revisions: [revision(2, PolicyStatus.FAILED, "bad host"), revision(1, PolicyStatus.SUPERSEDED)],
          };
        },
      }),
    );
    const service = new PolicyService(calls, resolver());
    const revisions = await service.revisions("sb-1", { limit: 2, offset: 1, workspace: "ws" });
    expect(seen).toEqual(["sb-1 2 1 ws"]);
    expect(revisions.map((r) => [r.version, r.status, r.loadError])).toEqual([
      [2, "failed", "bad host"],
      [1, "superseded", undefined],
    ]);
    expect(revisions[1]?.loadedAt).toBeUndefined();
    const err = await rejection(service.revisions("sb-1", { limit: 1.5 }));
    expect((err as InvalidArgumentError).field).toBe("limit");
  });

  it("maps the gateway's NOT_FOUND", async () => {
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        getSandboxPolicyStatus() {
          throw new ConnectError("sandbox not found", Code.NotFound);
        },
      }),
    );
    await expect(new PolicyService(calls, resolver()).status("sb-9")).rejects.toBeInstanceOf(NotFoundError);
  });
});
