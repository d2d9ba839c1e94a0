import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NetworkPolicyRuleSchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  deniedTraffic,
  draftRationale,
  draftRuleName,
  mergeTraffic,
  proposedRule,
  sameTraffic,
} from "../../../../src/local/drafts/denied-traffic.js";
import { compileEgressPolicy, type EgressRequest } from "../../../../src/local/egress/egress-policy.js";

// Requests as the egress proxy hands them to its event listener (recorded from the egress suite).
const GET: EgressRequest = { kind: "http", host: "denied.test", port: 8080, method: "GET", path: "/secret" };
const POST: EgressRequest = { kind: "http", host: "denied.test", port: 8080, method: "POST", path: "/write" };
const CONNECT: EgressRequest = { kind: "connect", host: "denied.test", port: 8080 };

/** What the rule a chunk proposes decides for `request`, compiled as the proxy compiles policies. */
function decide(rule: ReturnType<typeof proposedRule>, request: EgressRequest) {
  return compileEgressPolicy({ [rule.name]: rule }).decide(request);
}

describe("draft chunks from denied traffic", () => {
  it("proposes for a denied GET an enforced read-only rest rule that then allows it, and no binaries", () => {
    const rule = proposedRule(deniedTraffic(GET));
    expect(toJson(NetworkPolicyRuleSchema, rule)).toEqual({
      name: "allow_denied_test_8080",
      endpoints: [
        {
          host: "denied.test",
          port: 8080,
          protocol: "rest",
          enforcement: "enforce",
          access: "read-only",
          advisorProposed: true,
        },
      ],
    });
    expect(decide(rule, GET)).toMatchObject({
      allowed: true,
      audited: false,
      rule: "allow_denied_test_8080",
    });
    // Read-only: what was not refused is not proposed.
    expect(decide(rule, POST).allowed).toBe(false);
  });

  it("widens the access preset to cover every method refused at that host and port", () => {
    const both = mergeTraffic(deniedTraffic(GET), deniedTraffic(POST));
    expect(both.methods).toEqual(["GET", "POST"]);
    expect(proposedRule(both).endpoints[0]?.access).toBe("read-write");
    expect(decide(proposedRule(both), POST).allowed).toBe(true);
    const del = mergeTraffic(both, deniedTraffic({ ...GET, method: "DELETE" }));
    expect(proposedRule(del).endpoints[0]?.access).toBe("full");
    expect(decide(proposedRule(del), { ...GET, method: "DELETE" }).allowed).toBe(true);
    expect(sameTraffic(both, deniedTraffic(GET))).toBe(true);
    expect(sameTraffic(deniedTraffic(GET), deniedTraffic(POST))).toBe(false);
  });

  it("proposes a layer-4 rule for a refused CONNECT, which the proxy can see only the host and port of", () => {
    const rule = proposedRule(deniedTraffic(CONNECT));
    expect(rule.endpoints[0]).toMatchObject({ protocol: "", access: "", host: "denied.test", port: 8080 });
    expect(decide(rule, CONNECT).allowed).toBe(true);
    // A tunnel and plain requests at one host and port: the layer-4 rule covers both.
    const mixed = proposedRule(mergeTraffic(deniedTraffic(GET), deniedTraffic(CONNECT)));
    expect(mixed.endpoints[0]?.access).toBe("");
    expect(decide(mixed, POST).allowed).toBe(true);
  });

  it("lets a refused websocket upgrade speak: protocol websocket, read-write", () => {
    const upgrade: EgressRequest = { ...GET, websocket: true };
    const rule = proposedRule(deniedTraffic(upgrade));
    expect(rule.endpoints[0]).toMatchObject({ protocol: "websocket", access: "read-write" });
    expect(decide(rule, upgrade).allowed).toBe(true);
  });

  it("keys chunks by the host as policies compare it, and names rules from it", () => {
    const traffic = deniedTraffic({ ...GET, host: "API.Example.COM.", port: 443 });
    expect(traffic.host).toBe("api.example.com");
    expect(draftRuleName(traffic.host, 443)).toBe("allow_api_example_com_443");
    expect(draftRuleName("2001:db8::1", 80)).toBe("allow_2001_db8__1_80");
  });

  it("says in the rationale what was refused, why, and that local mode cannot see the binary", () => {
    const text = draftRationale(
      mergeTraffic(deniedTraffic(GET), deniedTraffic(CONNECT)),
      "no endpoint of any rule matches denied.test:8080",
    );
    expect(text).toBe(
      "CONNECT tunnels and HTTP GET requests from the sandbox to denied.test:8080 were denied by the egress proxy " +
        "(no endpoint of any rule matches denied.test:8080); local mode cannot see which binary connected, so the " +
        "rule applies to every process in the sandbox",
    );
  });
});
