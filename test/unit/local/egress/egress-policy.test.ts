import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type NetworkEndpointSchema,
  type NetworkPolicyRuleSchema,
  SandboxPolicySchema,
} from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  compileEgressPolicy,
  type EgressPolicy,
  EgressPolicyError,
  type EgressRequest,
} from "../../../../src/local/egress/egress-policy.js";

type RuleInit = MessageInitShape<typeof NetworkPolicyRuleSchema>;
type EndpointInit = MessageInitShape<typeof NetworkEndpointSchema>;

function compile(rules: Record<string, RuleInit>): EgressPolicy {
  return compileEgressPolicy(create(SandboxPolicySchema, { networkPolicies: rules }).networkPolicies);
}

/** A policy of one rule "r" with one endpoint. */
const one = (endpoint: EndpointInit) => compile({ r: { endpoints: [endpoint] } });

function compileError(rules: Record<string, RuleInit>): EgressPolicyError {
  try {
    compile(rules);
  } catch (error) {
    if (error instanceof EgressPolicyError) return error;
    throw error;
  }
  throw new Error("the policy compiled");
}

const http = (host: string, port: number, method = "GET", path = "/"): EgressRequest => ({
  host,
  port,
  kind: "http",
  method,
  path,
});
const tunnel = (host: string, port: number): EgressRequest => ({ host, port, kind: "connect" });

describe("compileEgressPolicy: hosts", () => {
  const cases: [pattern: string, host: string, matches: boolean][] = [
    ["api.github.com", "api.github.com", true],
    ["api.github.com", "API.GitHub.com", true],
    ["api.github.com", "api.github.com.", true],
    ["API.GITHUB.COM.", "api.github.com", true],
    ["api.github.com", "github.com", false],
    ["api.github.com", "x.api.github.com", false],
    ["*.example.com", "a.example.com", true],
    ["*.example.com", "A.Example.Com.", true],
    ["*.example.com", "a.b.example.com", false],
    ["*.example.com", "example.com", false],
    ["*.example.com", "aexample.com", false],
    ["**.example.com", "a.example.com", true],
    ["**.example.com", "a.b.example.com", true],
    ["**.example.com", "example.com", false],
    ["**.example.com", "evil-example.com", false],
    ["10.1.2.3", "10.1.2.3", true],
    ["10.1.2.3", "10.1.2.30", false],
    ["2001:db8::1", "[2001:DB8:0::1]", true],
    ["bücher.example", "xn--bcher-kva.example", true],
  ];
  it.each(cases)("%s against %s: %s", (pattern, host, matches) => {
    const policy = one({ host: pattern, port: 443 });
    expect(policy.decide(tunnel(host, 443)).allowed).toBe(matches);
  });

  it("never matches an IP address against a name glob", () => {
    expect(one({ host: "*.0.0.1", port: 80 }).decide(http("10.0.0.1", 80)).allowed).toBe(false);
  });

  it("says which host and port nothing matched", () => {
    expect(one({ host: "api.github.com", port: 443 }).decide(tunnel("evil.test", 80))).toEqual({
      allowed: false,
      audited: false,
      reason: "no endpoint of any rule matches evil.test:80",
    });
  });

  const refused: [host: string, message: RegExp][] = [
    ["*-api.example.com", /host glob "\*-api.example.com" is not supported/],
    ["api.*.example.com", /host glob .* is not supported/],
    ["*.com", /too broad/],
    ["**", /not a valid host name|too broad|not supported/],
    ["exa mple.com", /not a valid host name/],
    ["localhost", /loopback, which the egress proxy never connects to/],
    ["127.0.0.1", /loopback/],
    ["[::1]", /loopback/],
    ["db.localhost", /loopback/],
  ];
  it.each(refused)("refuses host %s", (host, message) => {
    const error = compileError({ r: { endpoints: [{ host, port: 80 }] } });
    expect(error.field).toBe('network_policies["r"].endpoints[0].host');
    expect(error.message).toMatch(message);
    expect(error.code).toBe("invalid_argument");
  });
});

describe("compileEgressPolicy: ports", () => {
  it("takes the union of port and ports", () => {
    const policy = one({ host: "a.test", port: 443, ports: [80, 8080] });
    expect([443, 80, 8080, 22].map((p) => policy.decide(tunnel("a.test", p)).allowed)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it("takes ports alone", () => {
    expect(one({ host: "a.test", ports: [8443] }).decide(tunnel("a.test", 8443)).allowed).toBe(true);
  });

  const refused: [endpoint: EndpointInit, field: string, message: RegExp][] = [
    [{ host: "a.test" }, "port", /no port: set port or ports \(there is no default port\)/],
    [{ host: "a.test", port: 70000 }, "port", /70000 is not a TCP port/],
    [{ host: "a.test", ports: [443, 0] }, "ports[1]", /0 is not a TCP port/],
  ];
  it.each(refused)("refuses %j", (endpoint, field, message) => {
    const error = compileError({ r: { endpoints: [endpoint] } });
    expect(error.field).toBe(`network_policies["r"].endpoints[0].${field}`);
    expect(error.message).toMatch(message);
  });
});

describe("compileEgressPolicy: L7 rules on HTTP requests", () => {
  const base = { host: "api.test", port: 80, enforcement: "enforce" };
  const cases: [
    name: string,
    endpoint: EndpointInit,
    request: EgressRequest,
    expected: { allowed: boolean; audited?: boolean; reason: string | RegExp },
  ][] = [
    [
      "no L7 rules: any method",
      base,
      http("api.test", 80, "DELETE", "/x"),
      { allowed: true, reason: 'allowed by rule "r"' },
    ],
    [
      "read-only allows GET",
      { ...base, access: "read-only" },
      http("api.test", 80, "GET"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "read-only allows HEAD",
      { ...base, access: "read-only" },
      http("api.test", 80, "HEAD"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "read-only allows OPTIONS",
      { ...base, access: "read-only" },
      http("api.test", 80, "options"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "read-only denies POST",
      { ...base, access: "read-only" },
      http("api.test", 80, "POST"),
      { allowed: false, reason: 'rule "r": method POST not allowed by access read-only' },
    ],
    [
      "read-write allows PATCH",
      { ...base, access: "read-write" },
      http("api.test", 80, "PATCH"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "read-write denies DELETE",
      { ...base, access: "read-write" },
      http("api.test", 80, "DELETE"),
      { allowed: false, reason: 'rule "r": method DELETE not allowed by access read-write' },
    ],
    [
      "full allows DELETE",
      { ...base, access: "full" },
      http("api.test", 80, "DELETE"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "audit allows what read-only would deny, and says so",
      { ...base, access: "read-only", enforcement: "audit" },
      http("api.test", 80, "DELETE"),
      {
        allowed: true,
        audited: true,
        reason: 'audit only, rule "r" would deny: method DELETE not allowed by access read-only',
      },
    ],
    [
      "empty enforcement is audit, as upstream",
      { ...base, access: "read-only", enforcement: "" },
      http("api.test", 80, "PUT"),
      {
        allowed: true,
        audited: true,
        reason: 'audit only, rule "r" would deny: method PUT not allowed by access read-only',
      },
    ],
    [
      "rules: method and path glob",
      { ...base, rules: [{ allow: { method: "GET", path: "/repos/*/issues" } }] },
      http("api.test", 80, "GET", "/repos/openshell/issues?state=open"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "rules: * stays within a segment",
      { ...base, rules: [{ allow: { method: "GET", path: "/repos/*/issues" } }] },
      http("api.test", 80, "GET", "/repos/a/b/issues"),
      { allowed: false, reason: 'rule "r": no allow rule matches GET /repos/a/b/issues' },
    ],
    [
      "rules: ** crosses segments",
      { ...base, rules: [{ allow: { method: "*", path: "/repos/**" } }] },
      http("api.test", 80, "POST", "/repos/a/b/c"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "rules: ** needs at least one segment",
      { ...base, rules: [{ allow: { method: "", path: "/repos/**" } }] },
      http("api.test", 80, "GET", "/repos"),
      { allowed: false, reason: /no allow rule matches GET \/repos/ },
    ],
    [
      "rules: an empty method allows nothing, as upstream's policy engine reads it",
      { ...base, rules: [{ allow: { path: "/public/**" } }] },
      http("api.test", 80, "GET", "/public/x"),
      { allowed: false, reason: 'rule "r": no allow rule matches GET /public/x' },
    ],
    [
      "deny rules: an empty method denies nothing, as upstream's policy engine reads it",
      { ...base, access: "full", denyRules: [{ path: "/admin/**" }] },
      http("api.test", 80, "DELETE", "/admin/x"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "rules: empty path is any path",
      { ...base, rules: [{ allow: { method: "get" } }] },
      http("api.test", 80, "GET", "/anything/at/all"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "rules: method must match",
      { ...base, rules: [{ allow: { method: "GET", path: "/x" } }] },
      http("api.test", 80, "POST", "/x"),
      { allowed: false, reason: /no allow rule matches POST \/x/ },
    ],
    [
      "deny rules win over access",
      { ...base, access: "full", denyRules: [{ method: "DELETE", path: "/repos/**" }] },
      http("api.test", 80, "DELETE", "/repos/a"),
      { allowed: false, reason: 'rule "r": DELETE /repos/a denied by deny_rules[0] (DELETE /repos/**)' },
    ],
    [
      "deny rules win over allow rules",
      {
        ...base,
        rules: [{ allow: { method: "GET", path: "/repos/**" } }],
        denyRules: [{ method: "*", path: "/repos/private/**" }],
      },
      http("api.test", 80, "GET", "/repos/private/x"),
      { allowed: false, reason: /denied by deny_rules\[0\] \(\* \/repos\/private\/\*\*\)/ },
    ],
    [
      "deny rules alone leave the rest allowed",
      { ...base, denyRules: [{ method: "POST" }] },
      http("api.test", 80, "GET", "/x"),
      { allowed: true, reason: /allowed/ },
    ],
    [
      "deny rules match the decoded path",
      { ...base, denyRules: [{ method: "*", path: "/admin/**" }] },
      http("api.test", 80, "GET", "/%61dmin/x"),
      { allowed: false, reason: /denied by deny_rules\[0\]/ },
    ],
    [
      "an encoded slash cannot be checked against path rules",
      { ...base, rules: [{ allow: { path: "/a/*" } }] },
      http("api.test", 80, "GET", "/a/b%2Fc"),
      {
        allowed: false,
        reason: 'rule "r": path /a/b%2Fc has an encoded slash, which path rules cannot check',
      },
    ],
    [
      "a dot segment cannot be checked against path rules",
      { ...base, rules: [{ allow: { path: "/public/**" } }] },
      http("api.test", 80, "GET", "/public/%2e%2e/admin"),
      { allowed: false, reason: /has a dot segment/ },
    ],
    [
      "path glob ? and classes",
      { ...base, rules: [{ allow: { method: "*", path: "/v[0-9]/item?" } }] },
      http("api.test", 80, "GET", "/v2/items"),
      { allowed: true, reason: /allowed/ },
    ],
  ];
  it.each(cases)("%s", (_name, endpoint, request, expected) => {
    const decision = one(endpoint).decide(request);
    expect(decision.allowed).toBe(expected.allowed);
    expect(decision.audited).toBe(expected.audited ?? false);
    expect(decision.rule).toBe("r");
    if (typeof expected.reason === "string") expect(decision.reason).toBe(expected.reason);
    else expect(decision.reason).toMatch(expected.reason);
  });
});

describe("compileEgressPolicy: CONNECT tunnels", () => {
  it("allows a tunnel to an endpoint without L7 rules, or with access full", () => {
    expect(one({ host: "a.test", port: 443 }).decide(tunnel("a.test", 443)).allowed).toBe(true);
    expect(one({ host: "a.test", port: 443, access: "full" }).decide(tunnel("a.test", 443)).allowed).toBe(
      true,
    );
  });

  it("allows a tunnel to an endpoint with L7 rules on host and port, for the proxy to check each request inside", () => {
    for (const enforcement of ["enforce", "audit", ""]) {
      const decision = one({ host: "a.test", port: 443, access: "read-only", enforcement }).decide(
        tunnel("a.test", 443),
      );
      expect(decision).toEqual({
        allowed: true,
        audited: false,
        rule: "r",
        tunnel: "l7",
        reason: 'allowed by rule "r"',
      });
    }
  });

  it("says how the proxy treats the tunnel: l7 with rules, l4 without, skip for tls skip", () => {
    const mode = (endpoint: EndpointInit) =>
      one({ host: "a.test", port: 443, ...endpoint }).decide(tunnel("a.test", 443)).tunnel;
    expect(mode({ denyRules: [{ method: "DELETE" }] })).toBe("l7");
    expect(mode({})).toBe("l4");
    expect(mode({ access: "full" })).toBe("l4");
    expect(mode({ protocol: "tcp" })).toBe("l4");
    expect(mode({ tls: "skip" })).toBe("skip");
    expect(mode({ tls: "SKIP" })).toBe("skip");
    for (const tls of ["", "terminate", "passthrough"]) expect(mode({ tls, access: "read-only" })).toBe("l7");
  });

  it("lists the endpoints that need plain HTTP", () => {
    const policy = compile({
      api: {
        endpoints: [
          { host: "api.test", port: 443 },
          { host: "api.test", ports: [80, 8080], access: "read-only" },
        ],
      },
      web: { endpoints: [{ host: "web.test", port: 80, rules: [{ allow: { path: "/x" } }] }] },
    });
    expect(policy.needsPlainHttp).toEqual([
      { rule: "api", index: 1, host: "api.test", ports: [80, 8080] },
      { rule: "web", index: 0, host: "web.test", ports: [80] },
    ]);
  });
});

describe("compileEgressPolicy: request_body_credential_rewrite", () => {
  it("marks the requests its rest endpoint allows, audited or not, and reads plain bytes in its tunnels as HTTP", () => {
    const policy = compile({
      body: {
        endpoints: [
          {
            host: "api.test",
            port: 443,
            protocol: "rest",
            access: "full",
            requestBodyCredentialRewrite: true,
          },
        ],
      },
      audit: {
        endpoints: [
          {
            host: "audit.test",
            port: 443,
            protocol: "rest",
            access: "read-only",
            requestBodyCredentialRewrite: true,
          },
        ],
      },
      plain: { endpoints: [{ host: "plain.test", port: 443, protocol: "rest", access: "full" }] },
    });
    expect(policy.decide(http("api.test", 443, "POST"))).toMatchObject({
      allowed: true,
      requestBodyCredentialRewrite: true,
    });
    // access full alone would relay a tunnel's plain bytes unread; the flag needs them read.
    expect(policy.decide(tunnel("api.test", 443)).tunnel).toBe("l7");
    expect(policy.decide(http("audit.test", 443, "POST"))).toMatchObject({
      allowed: true,
      audited: true,
      requestBodyCredentialRewrite: true,
    });
    const without = policy.decide(http("plain.test", 443, "POST"));
    expect(without.allowed).toBe(true);
    expect(without.requestBodyCredentialRewrite).toBeUndefined();
    expect(policy.decide(tunnel("plain.test", 443)).tunnel).toBe("l4");
  });
});

describe("compileEgressPolicy: websocket_credential_rewrite", () => {
  it("marks the upgrades its rest or websocket endpoint allows, and reads plain bytes in its tunnels as HTTP", () => {
    const policy = compile({
      ws: {
        endpoints: [
          {
            host: "ws.test",
            port: 443,
            protocol: "websocket",
            access: "full",
            websocketCredentialRewrite: true,
          },
          {
            host: "rest.test",
            port: 443,
            protocol: "rest",
            access: "read-write",
            websocketCredentialRewrite: true,
          },
        ],
      },
      plain: { endpoints: [{ host: "plain.test", port: 443, protocol: "websocket", access: "full" }] },
    });
    const upgrade = (host: string): EgressRequest => ({
      ...http(host, 443, "GET", "/socket"),
      websocket: true,
    });
    expect(policy.decide(upgrade("ws.test"))).toMatchObject({
      allowed: true,
      websocketCredentialRewrite: true,
    });
    expect(policy.decide(upgrade("rest.test"))).toMatchObject({
      allowed: true,
      websocketCredentialRewrite: true,
    });
    // access full alone would relay a tunnel's plain bytes unread; the flag needs its upgrade read.
    expect(policy.decide(tunnel("ws.test", 443)).tunnel).toBe("l7");
    const without = policy.decide(upgrade("plain.test"));
    expect(without.allowed).toBe(true);
    expect(without.websocketCredentialRewrite).toBeUndefined();
    expect(policy.decide(tunnel("plain.test", 443)).tunnel).toBe("l4");
  });
});

describe("compileEgressPolicy: websocket upgrades", () => {
  const ws = (path: string): EgressRequest => ({ ...http("ws.test", 80, "GET", path), websocket: true });

  it("allows an upgrade whose client messages are allowed too", () => {
    expect(one({ host: "ws.test", port: 80, access: "read-write" }).decide(ws("/rt")).allowed).toBe(true);
    const rules = one({
      host: "ws.test",
      port: 80,
      protocol: "websocket",
      rules: [
        { allow: { method: "GET", path: "/rt" } },
        { allow: { method: "WEBSOCKET_TEXT", path: "/rt" } },
      ],
    });
    expect(rules.decide(ws("/rt")).allowed).toBe(true);
  });

  it("denies an upgrade whose messages the rules would filter, since frames are not read", () => {
    const decision = one({ host: "ws.test", port: 80, access: "read-only", enforcement: "enforce" }).decide(
      ws("/rt"),
    );
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe(
      'rule "r": the websocket upgrade of /rt is allowed but its client messages are not (method WEBSOCKET_TEXT ' +
        "not allowed by access read-only), and local mode cannot inspect websocket messages",
    );
  });
});

describe("compileEgressPolicy: several endpoints", () => {
  it("allows when any endpoint allows, naming its rule", () => {
    const policy = compile({
      ro: { endpoints: [{ host: "api.corp.test", port: 80, access: "read-only", enforcement: "enforce" }] },
      rw: { endpoints: [{ host: "*.corp.test", port: 80, access: "read-write", enforcement: "enforce" }] },
    });
    expect(policy.decide(http("api.corp.test", 80, "POST"))).toMatchObject({ allowed: true, rule: "rw" });
    expect(policy.decide(http("api.corp.test", 80, "DELETE"))).toMatchObject({ allowed: false, rule: "ro" });
  });

  it("lets an enforced deny rule win over another endpoint's allow", () => {
    const policy = compile({
      open: { endpoints: [{ host: "api.test", port: 80 }] },
      guard: {
        endpoints: [
          {
            host: "api.test",
            port: 80,
            denyRules: [{ method: "*", path: "/admin/**" }],
            enforcement: "enforce",
          },
        ],
      },
    });
    expect(policy.decide(http("api.test", 80, "GET", "/admin/x"))).toMatchObject({
      allowed: false,
      rule: "guard",
    });
    expect(policy.decide(http("api.test", 80, "GET", "/x"))).toMatchObject({ allowed: true, rule: "open" });
  });

  it("prefers an enforcing allow over an audit", () => {
    const policy = compile({
      audit: { endpoints: [{ host: "api.test", port: 80, access: "read-only", enforcement: "audit" }] },
      ok: { endpoints: [{ host: "api.test", port: 80, access: "full" }] },
    });
    expect(policy.decide(http("api.test", 80, "POST"))).toMatchObject({
      allowed: true,
      audited: false,
      rule: "ok",
    });
  });
});

describe("compileEgressPolicy: resolved addresses", () => {
  it("applies allowed_ips", () => {
    const policy = one({ host: "db.test", port: 5432, allowedIps: ["10.0.0.0/24", "2001:db8::/32"] });
    expect(policy.decide(tunnel("db.test", 5432)).allowed).toBe(true);
    expect(policy.decide(tunnel("db.test", 5432), "10.0.0.7").allowed).toBe(true);
    expect(policy.decide(tunnel("db.test", 5432), "2001:db8::5").allowed).toBe(true);
    expect(policy.decide(tunnel("db.test", 5432), "10.0.1.7")).toEqual({
      allowed: false,
      audited: false,
      rule: "r",
      reason:
        'db.test:5432 resolves to 10.0.1.7, which is not in allowed_ips (10.0.0.0/24, 2001:db8::/32) of rule "r"',
    });
  });

  it("matches a hostless endpoint by allowed_ips alone", () => {
    const policy = one({ port: 443, allowedIps: ["203.0.113.0/24"] });
    expect(policy.decide(tunnel("anything.test", 443), "203.0.113.9").allowed).toBe(true);
    expect(policy.decide(tunnel("anything.test", 443), "198.51.100.1").allowed).toBe(false);
  });

  it("lets a glob reach private addresses only through allowed_ips", () => {
    expect(
      one({ host: "**.corp.test", port: 80 }).decide(http("x.corp.test", 80), "10.1.1.1").reason,
    ).toMatch(/resolves to 10.1.1.1, which is private, and rule "r" names the host by a glob/);
    expect(one({ host: "x.corp.test", port: 80 }).decide(http("x.corp.test", 80), "10.1.1.1").allowed).toBe(
      true,
    );
    expect(
      one({ host: "**.corp.test", port: 80, allowedIps: ["10.0.0.0/8"] }).decide(
        http("x.corp.test", 80),
        "10.1.1.1",
      ).allowed,
    ).toBe(true);
  });

  it("never audits an address failure", () => {
    const policy = one({ host: "a.test", port: 80, enforcement: "audit", allowedIps: ["10.0.0.0/8"] });
    expect(policy.decide(http("a.test", 80), "192.0.2.1")).toMatchObject({ allowed: false, audited: false });
  });
});

describe("compileEgressPolicy: what local mode refuses", () => {
  const field = (rest: string) => `network_policies["r"].endpoints[0].${rest}`;
  const cases: [name: string, endpoint: EndpointInit, field: string, message: RegExp][] = [
    [
      "L7 rules on a tls skip endpoint",
      { tls: "skip", access: "read-only" },
      field("tls"),
      /"skip" tunnels the bytes unread, so access, rules, deny_rules and request_body_credential_rewrite could never apply/,
    ],
    ["unknown tls", { tls: "mutual" }, field("tls"), /unknown value "mutual"/],
    [
      "protocol graphql",
      { protocol: "graphql" },
      field("protocol"),
      /protocol "graphql" is not supported in local mode/,
    ],
    ["protocol mcp", { protocol: "mcp" }, field("protocol"), /protocol "mcp" is not supported/],
    ["protocol sql", { protocol: "sql" }, field("protocol"), /protocol "sql" is not supported/],
    ["protocol json-rpc", { protocol: "json-rpc" }, field("protocol"), /protocol "json-rpc"/],
    [
      "tcp with access",
      { protocol: "tcp", access: "read-only" },
      field("protocol"),
      /"tcp" endpoints take no access/,
    ],
    ["unknown enforcement", { enforcement: "block" }, field("enforcement"), /unknown value "block"/],
    ["unknown access", { access: "write" }, field("access"), /unknown value "write"/],
    [
      "access and rules",
      { access: "full", rules: [{ allow: { method: "GET" } }] },
      field("rules"),
      /set access or rules, not both/,
    ],
    ["rule without allow", { rules: [{}] }, field("rules[0].allow"), /is required/],
    [
      "rule path without slash",
      { rules: [{ allow: { path: "repos" } }] },
      field("rules[0].allow.path"),
      /must start with "\/"/,
    ],
    [
      "unclosed class",
      { rules: [{ allow: { path: "/a[b" } }] },
      field("rules[0].allow.path"),
      /unclosed "\["/,
    ],
    [
      "rule query",
      { rules: [{ allow: { path: "/", query: { a: { glob: "x" } } } }] },
      field("rules[0].allow.query"),
      /not supported in local mode/,
    ],
    [
      "rule operation",
      { rules: [{ allow: { operationType: "query" } }] },
      field("rules[0].allow.operation_type"),
      /only method and path/,
    ],
    [
      "deny rule command",
      { denyRules: [{ command: "DROP" }] },
      field("deny_rules[0].command"),
      /not supported/,
    ],
    [
      "deny rule params",
      { denyRules: [{ params: { name: { glob: "x" } } }] },
      field("deny_rules[0].params"),
      /not supported/,
    ],
    ["deny rule fields", { denyRules: [{ fields: ["x"] }] }, field("deny_rules[0].fields"), /not supported/],
    ["endpoint path", { path: "/v1/**" }, field("path"), /put the path in rules\[\]\.allow\.path/],
    ["allow_encoded_slash", { allowEncodedSlash: true }, field("allow_encoded_slash"), /%2F are refused/],
    ["graphql_max_body_bytes", { graphqlMaxBodyBytes: 1 }, field("graphql_max_body_bytes"), /not supported/],
    [
      "json_rpc_max_body_bytes",
      { jsonRpcMaxBodyBytes: 1 },
      field("json_rpc_max_body_bytes"),
      /not supported/,
    ],
    ["persisted_queries", { persistedQueries: "deny" }, field("persisted_queries"), /not supported/],
    [
      "graphql_persisted_queries",
      { graphqlPersistedQueries: { h: {} } },
      field("graphql_persisted_queries"),
      /not supported/,
    ],
    ["mcp", { mcp: {} }, field("mcp"), /not supported/],
    ["credential_signing", { credentialSigning: "sigv4" }, field("credential_signing"), /no credentials/],
    ["signing_service", { signingService: "s3" }, field("signing_service"), /no credentials/],
    ["signing_region", { signingRegion: "us-east-1" }, field("signing_region"), /no credentials/],
    [
      "provider_credentialed",
      { providerCredentialed: true },
      field("provider_credentialed"),
      /no credentials/,
    ],
    [
      "websocket_credential_rewrite without protocol rest or websocket",
      { websocketCredentialRewrite: true },
      field("websocket_credential_rewrite"),
      /needs protocol "rest" or "websocket" \(this endpoint's is ""\)/,
    ],
    [
      "websocket_credential_rewrite on a tcp endpoint",
      { protocol: "tcp", websocketCredentialRewrite: true },
      field("websocket_credential_rewrite"),
      /needs protocol "rest" or "websocket" \(this endpoint's is "tcp"\)/,
    ],
    [
      "websocket_credential_rewrite on a tls skip endpoint",
      { protocol: "websocket", access: "full", tls: "skip", websocketCredentialRewrite: true },
      field("tls"),
      /websocket_credential_rewrite could never apply/,
    ],
    [
      "request_body_credential_rewrite without protocol rest",
      { requestBodyCredentialRewrite: true },
      field("request_body_credential_rewrite"),
      /needs protocol "rest" \(this endpoint's is ""\)/,
    ],
    [
      "request_body_credential_rewrite on a tcp endpoint",
      { protocol: "tcp", requestBodyCredentialRewrite: true },
      field("request_body_credential_rewrite"),
      /needs protocol "rest" \(this endpoint's is "tcp"\)/,
    ],
    [
      "request_body_credential_rewrite on a tls skip endpoint",
      { protocol: "rest", access: "full", tls: "skip", requestBodyCredentialRewrite: true },
      field("tls"),
      /could never apply/,
    ],
    [
      "bad allowed_ips",
      { allowedIps: ["10.0.0.0/8", "10.0.0.0/33"] },
      field("allowed_ips[1]"),
      /"10.0.0.0\/33" is not an IP address or CIDR range/,
    ],
    ["allowed_ips name", { allowedIps: ["example.com"] }, field("allowed_ips[0]"), /not an IP address/],
    ["no host nor allowed_ips", { host: "" }, field("host"), /no host: set host, or allowed_ips/],
  ];
  it.each(cases)("%s", (_name, endpoint, expectedField, message) => {
    const error = compileError({ r: { endpoints: [{ host: "a.test", port: 80, ...endpoint }] } });
    expect(error).toBeInstanceOf(EgressPolicyError);
    expect(error.field).toBe(expectedField);
    expect(error.message.startsWith(`${expectedField}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it("accepts protocols rest, http, websocket, tcp and empty, and tls empty, terminate, passthrough and skip", () => {
    for (const protocol of ["", "rest", "http", "websocket", "tcp", "REST"]) {
      // An L7 protocol needs access or rules (next test); tcp and empty take neither.
      const l7 = protocol !== "" && protocol !== "tcp";
      for (const tls of ["", "terminate", "passthrough", "Terminate", ...(l7 ? [] : ["skip"])]) {
        expect(() =>
          one({ host: "a.test", port: 80, protocol, tls, ...(l7 ? { access: "full" } : {}) }),
        ).not.toThrow();
      }
    }
  });

  it("refuses an L7 protocol with neither access nor rules, in upstream's words", () => {
    for (const protocol of ["rest", "http", "websocket"]) {
      expect(() => one({ host: "a.test", port: 80, protocol })).toThrow(
        /endpoints\[0\]\.protocol.*protocol requires rules or access to define allowed traffic/,
      );
    }
  });

  it("lets a GET rule match HEAD too, as upstream's rules do, and a GET deny rule refuse it", () => {
    const policy = compile({
      api: {
        endpoints: [
          {
            host: "api.test",
            port: 80,
            enforcement: "enforce",
            rules: [{ allow: { method: "GET", path: "/items/**" } }],
            denyRules: [{ method: "GET", path: "/items/secret" }],
          },
        ],
      },
    });
    const decide = (method: string, path: string) =>
      policy.decide(http("api.test", 80, method, path)).allowed;
    expect(decide("HEAD", "/items/1")).toBe(true);
    expect(decide("GET", "/items/1")).toBe(true);
    expect(decide("POST", "/items/1")).toBe(false);
    expect(decide("HEAD", "/items/secret")).toBe(false);
  });

  it("leaves credential_binding to the provider credentials, which bind the named provider to the endpoint", () => {
    expect(() => one({ host: "a.test", port: 443, credentialBinding: { provider: "cloud" } })).not.toThrow();
  });

  it("ignores fields that only record things (advisor_proposed, allow_uninspected_credentials)", () => {
    expect(() =>
      one({ host: "a.test", port: 80, advisorProposed: true, allowUninspectedCredentials: true }),
    ).not.toThrow();
  });

  it("leaves binaries to the process check: a rule with binaries compiles whatever its enforcement", () => {
    const policy = compile({
      r: {
        endpoints: [
          { host: "a.test", port: 80, enforcement: "audit" },
          { host: "b.test", port: 80, enforcement: "enforce" },
        ],
        binaries: [{ path: "/usr/bin/curl" }],
      },
    });
    expect(policy.decide(http("b.test", 80))).toMatchObject({ allowed: true, rule: "r" });
  });

  it("names the rule key with quotes escaped", () => {
    const error = compileError({ 'we"ird': { endpoints: [{ host: "a.test", port: 80, tls: "mutual" }] } });
    expect(error.field).toBe('network_policies["we\\"ird"].endpoints[0].tls');
  });
});

describe("compileEgressPolicy: the compiled policy", () => {
  it("denies everything when there are no rules", () => {
    expect(compile({}).decide(tunnel("a.test", 443))).toEqual({
      allowed: false,
      audited: false,
      reason: "no endpoint of any rule matches a.test:443",
    });
  });

  it("is immutable", () => {
    const policy = one({ host: "a.test", port: 80, access: "read-only" });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.needsPlainHttp)).toBe(true);
  });
});
