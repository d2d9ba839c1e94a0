import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type NetworkPolicyRuleSchema,
  SandboxPolicySchema,
} from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { compileSandboxPolicy } from "../../../../src/local/egress/binary-rules.js";
import { EgressPolicyError, type EgressRequest } from "../../../../src/local/egress/egress-policy.js";

type RuleInit = MessageInitShape<typeof NetworkPolicyRuleSchema>;

const compile = (rules: Record<string, RuleInit>) =>
  compileSandboxPolicy(create(SandboxPolicySchema, { networkPolicies: rules }).networkPolicies);

const get = (host: string, port = 80): EgressRequest => ({
  host,
  port,
  kind: "http",
  method: "GET",
  path: "/",
});

const rules: Record<string, RuleInit> = {
  curl: {
    endpoints: [{ host: "api.test", port: 80, enforcement: "enforce" }],
    binaries: [{ path: "/usr/bin/curl" }],
  },
  audit: {
    endpoints: [{ host: "log.test", port: 80, enforcement: "audit" }],
    binaries: [{ path: "/usr/bin/curl" }],
  },
  open: {
    endpoints: [
      { host: "open.test", port: 80 },
      { host: "api.test", port: 80, access: "read-only" },
    ],
  },
};

describe("a sandbox's network policies with binaries", () => {
  it("has no binaries part when no rule names one (an empty list means any binary)", () => {
    const compiled = compile({ open: { endpoints: [{ host: "open.test", port: 80 }], binaries: [] } });
    expect(compiled.binaries).toBeUndefined();
    expect(compiled.policy.decide(get("open.test")).allowed).toBe(true);
  });

  it("names the rules with binaries whose endpoints match a request's host and port", () => {
    const binaries = compile(rules).binaries;
    expect([...(binaries?.rulesFor(get("api.test")).keys() ?? [])]).toEqual(["curl"]);
    expect([...(binaries?.rulesFor(get("log.test")).keys() ?? [])]).toEqual(["audit"]);
    expect(binaries?.rulesFor(get("open.test")).size).toBe(0);
    expect(binaries?.rulesFor(get("api.test", 443)).size).toBe(0);
  });

  it("decides without the rules a process misses: another rule may still allow, else the denial names the binary", () => {
    const { policy, binaries } = compile(rules);
    expect(policy.decide(get("api.test"))).toMatchObject({ allowed: true, rule: "curl" });
    const wget = 'policy_denied: binary /bin/busybox (pid 9) is not in binaries of rule "curl"';
    const without = binaries?.without(new Map([["curl", wget]]));
    // The open rule's read-only endpoint for api.test still allows a GET from any binary.
    expect(without?.decide(get("api.test"))).toMatchObject({ allowed: true, rule: "open" });
    const audit = binaries?.without(new Map([["audit", "policy_denied: binary /bin/busybox"]]));
    // A miss is denied whatever the enforcement: the audit rule does not let it through.
    expect(audit?.decide(get("log.test"))).toEqual({
      allowed: false,
      audited: false,
      rule: "audit",
      reason: 'rule "audit": policy_denied: binary /bin/busybox',
      // Told apart from other denials: the policy advisor proposes no host-wide rule for it.
      deniedBy: "binaries",
    });
  });

  it("refuses a binary path that is not absolute, naming the field", () => {
    let error: unknown;
    try {
      compile({
        r: { endpoints: [{ host: "a.test", port: 80 }], binaries: [{ path: "/bin/sh" }, { path: "sh" }] },
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(EgressPolicyError);
    expect((error as EgressPolicyError).field).toBe('network_policies["r"].binaries[1].path');
  });
});
