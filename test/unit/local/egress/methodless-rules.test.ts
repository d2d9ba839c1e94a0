import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { methodlessRules } from "../../../../src/local/egress/methodless-rules.js";

describe("methodlessRules", () => {
  it("names every allow and deny rule without a method, and says it matches no request", () => {
    const { networkPolicies } = create(SandboxPolicySchema, {
      networkPolicies: {
        api: {
          endpoints: [
            {
              host: "a.test",
              port: 443,
              protocol: "rest",
              rules: [{ allow: { method: "GET", path: "/x" } }, { allow: { path: "/y/**" } }],
              denyRules: [{ method: " ", path: "/admin/**" }],
            },
          ],
        },
      },
    });
    expect(methodlessRules(networkPolicies)).toBe(
      'an L7 rule with an empty method matches no request, as on the gateway (write "*" for any method): ' +
        'network_policies["api"].endpoints[0].rules[1].allow.method, network_policies["api"].endpoints[0].deny_rules[0].method',
    );
  });

  it("says nothing when every rule names a method, * included", () => {
    const { networkPolicies } = create(SandboxPolicySchema, {
      networkPolicies: {
        api: {
          endpoints: [
            {
              host: "a.test",
              port: 80,
              protocol: "rest",
              rules: [{ allow: { method: "*", path: "/**" } }],
              denyRules: [{ method: "DELETE" }],
            },
          ],
        },
      },
    });
    expect(methodlessRules(networkPolicies)).toBeUndefined();
  });
});
