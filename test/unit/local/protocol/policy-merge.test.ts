import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type SandboxPolicy,
  SandboxPolicySchema,
} from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { PolicyMergeOperationSchema } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { applyMergeOperations } from "../../../../src/local/protocol/policy-merge.js";
import { codeOf } from "./thrown.js";

function policy(): SandboxPolicy {
  return create(SandboxPolicySchema, {
    networkPolicies: {
      web: {
        name: "web",
        endpoints: [
          { host: "api.test", port: 443 },
          { host: "api.test", ports: [80, 8080] },
          { host: "other.test", port: 443 },
        ],
        binaries: [{ path: "/usr/bin/curl" }, { path: "/usr/bin/wget" }],
      },
    },
  });
}

const op = (operation: MessageInitShape<typeof PolicyMergeOperationSchema>["operation"]) =>
  create(PolicyMergeOperationSchema, { operation });

describe("policy merge operations", () => {
  it("adds a rule (named after its key when unnamed) and removes one", () => {
    const p = policy();
    applyMergeOperations(p, [
      op({
        case: "addRule",
        value: { ruleName: "gh", rule: { endpoints: [{ host: "github.com", port: 443 }] } },
      }),
      op({ case: "removeRule", value: { ruleName: "web" } }),
    ]);
    expect(Object.keys(p.networkPolicies)).toEqual(["gh"]);
    expect(p.networkPolicies.gh?.name).toBe("gh");
  });

  it("removes endpoints by host and port (0 = every port) and binaries by path", () => {
    const p = policy();
    applyMergeOperations(p, [
      op({ case: "removeEndpoint", value: { ruleName: "web", host: "api.test", port: 8080 } }),
      op({ case: "removeBinary", value: { ruleName: "web", binaryPath: "/usr/bin/wget" } }),
    ]);
    expect(p.networkPolicies.web?.endpoints.map((e) => [e.host, e.port])).toEqual([
      ["api.test", 443],
      ["other.test", 443],
    ]);
    expect(p.networkPolicies.web?.binaries.map((b) => b.path)).toEqual(["/usr/bin/curl"]);
    applyMergeOperations(p, [
      op({ case: "removeEndpoint", value: { ruleName: "web", host: "api.test", port: 0 } }),
    ]);
    expect(p.networkPolicies.web?.endpoints.map((e) => e.host)).toEqual(["other.test"]);
  });

  it("adds allow and deny rules to every endpoint serving host:port", () => {
    const p = policy();
    applyMergeOperations(p, [
      op({
        case: "addAllowRules",
        value: { host: "api.test", port: 80, rules: [{ allow: { method: "GET", path: "/v1/**" } }] },
      }),
      op({ case: "addDenyRules", value: { host: "api.test", port: 0, denyRules: [{ method: "DELETE" }] } }),
    ]);
    const [e443, e80, other] = p.networkPolicies.web?.endpoints ?? [];
    expect(e80?.rules.map((r) => r.allow?.path)).toEqual(["/v1/**"]);
    expect(e443?.rules).toEqual([]);
    expect([e443, e80].map((e) => e?.denyRules.map((r) => r.method))).toEqual([["DELETE"], ["DELETE"]]);
    expect(other?.denyRules).toEqual([]);
  });

  it("answers NOT_FOUND for a missing rule or endpoint, and INVALID_ARGUMENT for an empty operation", () => {
    expect(
      codeOf(() => applyMergeOperations(policy(), [op({ case: "removeRule", value: { ruleName: "x" } })])),
    ).toBe("NotFound");
    expect(
      codeOf(() =>
        applyMergeOperations(policy(), [
          op({ case: "addAllowRules", value: { host: "nope.test", port: 1, rules: [] } }),
        ]),
      ),
    ).toBe("NotFound");
    expect(codeOf(() => applyMergeOperations(policy(), [op({ case: undefined })]))).toBe("InvalidArgument");
  });
});
