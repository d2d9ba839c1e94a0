import { InvalidArgumentError } from "openshell";
import { describe, expect, it } from "vitest";
import {
  type AgentSandboxPolicy,
  agentPolicy,
  MODEL_RULE,
} from "../../../../../adapters/agent-registry/policy/agent-policy.js";
import { buildCreateSandboxRequest } from "../../../../../src/client/sandboxes/create-sandbox-options.js";
import { compileSandboxPolicy } from "../../../../../src/local/egress/binary-rules.js";
import { compileEgressPolicy } from "../../../../../src/local/egress/egress-policy.js";

/** The policy as the SDK sends it. */
const networkPolicies = (policy: AgentSandboxPolicy) =>
  buildCreateSandboxRequest({ policy }, "default").spec?.policy?.networkPolicies ?? {};

/** The policy as the SDK sends it, compiled by local mode's egress proxy (which refuses what it cannot enforce). */
const localProxy = (policy: AgentSandboxPolicy) => compileEgressPolicy(networkPolicies(policy));

const connect = (host: string, port = 443) => ({ host, port, kind: "connect" as const });
/** A request inside a tunnel the proxy terminated (or a plain one): what L7 rules see. */
const request = (host: string, method: string, path: string) => ({
  host,
  port: 443,
  kind: "http" as const,
  method,
  path,
});

describe("agentPolicy", () => {
  it("allows a model host without known API paths on 443 with any request (rest, access full) and nothing else", () => {
    const policy = agentPolicy({ hosts: [{ host: "api.anthropic.com", port: 443 }] });
    expect(policy).toEqual({
      version: 1,
      networkPolicies: {
        "agent-model": {
          name: "agent-model",
          endpoints: [
            {
              host: "api.anthropic.com",
              port: 443,
              protocol: "rest",
              enforcement: "enforce",
              access: "full",
            },
          ],
        },
      },
    });
    const proxy = localProxy(policy);
    expect(proxy.decide(connect("api.anthropic.com"))).toMatchObject({ allowed: true, rule: "agent-model" });
    expect(proxy.decide(connect("api.anthropic.com", 80)).allowed).toBe(false);
    expect(proxy.decide(connect("api.openai.com")).allowed).toBe(false);
    for (const [method, path] of [
      ["POST", "/v1/messages"],
      ["GET", "/v1/models"],
      ["DELETE", "/anything/else"],
    ] as const) {
      expect(proxy.decide(request("api.anthropic.com", method, path)), `${method} ${path}`).toMatchObject({
        allowed: true,
        audited: false,
      });
    }
    // access full limits nothing: no request inside the tunnel is checked.
    expect(proxy.needsPlainHttp).toEqual([]);
  });

  it("gives integrate.api.nvidia.com the proof of concept's POST /v1/** only, enforced", () => {
    const policy = agentPolicy({ hosts: [{ host: "integrate.api.nvidia.com", port: 443 }] });
    expect(policy.networkPolicies[MODEL_RULE]?.endpoints).toEqual([
      {
        host: "integrate.api.nvidia.com",
        port: 443,
        protocol: "rest",
        enforcement: "enforce",
        rules: [{ allow: { method: "POST", path: "/v1/**" } }],
      },
    ]);
    const proxy = localProxy(policy);
    // The tunnel opens; each request inside it is checked.
    expect(proxy.decide(connect("integrate.api.nvidia.com"))).toMatchObject({ allowed: true, tunnel: "l7" });
    expect(proxy.needsPlainHttp).toEqual([
      { rule: "agent-model", index: 0, host: "integrate.api.nvidia.com", ports: [443] },
    ]);
    const nvidia = (method: string, path: string) =>
      proxy.decide(request("integrate.api.nvidia.com", method, path));
    expect(nvidia("POST", "/v1/chat/completions")).toMatchObject({ allowed: true, rule: "agent-model" });
    expect(nvidia("post", "/v1/embeddings?x=1")).toMatchObject({ allowed: true });
    expect(nvidia("GET", "/v1/models")).toEqual({
      allowed: false,
      audited: false,
      rule: "agent-model",
      reason: 'rule "agent-model": no allow rule matches GET /v1/models',
    });
    expect(nvidia("POST", "/v2/x").allowed).toBe(false);
    expect(nvidia("POST", "/v1").allowed).toBe(false);
  });

  it("gives generativelanguage.googleapis.com any method on /v1beta/** and /v1/**, enforced", () => {
    const policy = agentPolicy({ hosts: [{ host: "generativelanguage.googleapis.com", port: 443 }] });
    expect(policy.networkPolicies[MODEL_RULE]?.endpoints).toEqual([
      {
        host: "generativelanguage.googleapis.com",
        port: 443,
        protocol: "rest",
        enforcement: "enforce",
        // Upstream matches no method when it is empty: "*" is any.
        rules: [{ allow: { method: "*", path: "/v1beta/**" } }, { allow: { method: "*", path: "/v1/**" } }],
      },
    ]);
    const proxy = localProxy(policy);
    const google = (method: string, path: string) =>
      proxy.decide(request("generativelanguage.googleapis.com", method, path)).allowed;
    expect(google("POST", "/v1beta/models/gemini-2.5-flash:generateContent")).toBe(true);
    expect(google("GET", "/v1beta/models")).toBe(true);
    expect(google("POST", "/v1/models/gemini-pro:generateContent")).toBe(true);
    expect(google("GET", "/v2/models")).toBe(false);
    expect(google("GET", "/upload/v1beta/files")).toBe(false);
  });

  it("uses access full for a known host on another port: the rules are only known for 443", () => {
    const policy = agentPolicy({ hosts: [{ host: "integrate.api.nvidia.com", port: 8443 }] });
    expect(policy.networkPolicies[MODEL_RULE]?.endpoints).toEqual([
      {
        host: "integrate.api.nvidia.com",
        port: 8443,
        protocol: "rest",
        enforcement: "enforce",
        access: "full",
      },
    ]);
  });

  it("takes binaries a user adds to the model rule of a spread copy: local mode checks them", () => {
    const generated = agentPolicy({
      hosts: [{ host: "integrate.api.nvidia.com", port: 443 }],
      egressHosts: ["tools.example.org"],
    });
    const model = generated.networkPolicies[MODEL_RULE];
    if (model === undefined) throw new Error("expected the model rule");
    const policy: AgentSandboxPolicy = {
      ...generated,
      networkPolicies: {
        ...generated.networkPolicies,
        [MODEL_RULE]: { ...model, binaries: [{ path: "/usr/bin/curl" }] },
      },
    };
    const sent = networkPolicies(policy);
    expect(sent[MODEL_RULE]?.binaries.map((b) => b.path)).toEqual(["/usr/bin/curl"]);
    expect(sent[MODEL_RULE]?.endpoints[0]?.rules[0]?.allow).toMatchObject({ method: "POST", path: "/v1/**" });
    const compiled = compileSandboxPolicy(sent);
    // The model host needs the process looked up, against curl; the other rule does not.
    expect([...(compiled.binaries?.rulesFor(connect("integrate.api.nvidia.com")).keys() ?? [])]).toEqual([
      MODEL_RULE,
    ]);
    expect(compiled.binaries?.rulesFor(connect("tools.example.org")).size).toBe(0);
    // The L7 rules stay as they were.
    expect(compiled.policy.decide(request("integrate.api.nvidia.com", "GET", "/v1/models")).allowed).toBe(
      false,
    );
    expect(
      compiled.policy.decide(request("integrate.api.nvidia.com", "POST", "/v1/chat/completions")).allowed,
    ).toBe(true);
  });

  it("adds runtimeConfig.egressHosts (443 unless a port is given) as their own rule", () => {
    const policy = agentPolicy({
      hosts: [{ host: "bedrock-runtime.us-east-1.amazonaws.com", port: 443 }],
      egressHosts: ["api.search.example.com", "tools.example.org:8443", "10.1.2.3:5432"],
    });
    expect(policy.networkPolicies?.["agent-egress"]).toEqual({
      name: "agent-egress",
      endpoints: [
        { host: "api.search.example.com", port: 443, enforcement: "enforce" },
        { host: "tools.example.org", port: 8443, enforcement: "enforce" },
        { host: "10.1.2.3", port: 5432, enforcement: "enforce" },
      ],
    });
    const proxy = localProxy(policy);
    expect(proxy.decide(connect("tools.example.org", 8443))).toMatchObject({
      allowed: true,
      rule: "agent-egress",
    });
    expect(proxy.decide(connect("tools.example.org", 443)).allowed).toBe(false);
    expect(proxy.decide(connect("bedrock-runtime.us-east-1.amazonaws.com")).allowed).toBe(true);
  });

  it("lists each host once, under the model rule when both name it", () => {
    const policy = agentPolicy({
      hosts: [
        { host: "api.openai.com", port: 443 },
        { host: "api.openai.com", port: 443 },
      ],
      egressHosts: ["api.openai.com", "api.openai.com:443", "cdn.example.com", "cdn.example.com"],
    });
    expect(policy.networkPolicies?.["agent-model"]?.endpoints).toHaveLength(1);
    expect(policy.networkPolicies?.["agent-egress"]?.endpoints).toEqual([
      { host: "cdn.example.com", port: 443, enforcement: "enforce" },
    ]);
  });

  it("keeps a model host's method and path rules when egressHosts names it too (no plain copy reopens it)", () => {
    const policy = agentPolicy({
      hosts: [{ host: "integrate.api.nvidia.com", port: 443 }],
      egressHosts: ["integrate.api.nvidia.com"],
    });
    expect(policy.networkPolicies["agent-egress"]).toBeUndefined();
    const proxy = localProxy(policy);
    expect(proxy.decide(request("integrate.api.nvidia.com", "GET", "/v1/models")).allowed).toBe(false);
  });

  it("allows no egress at all for an agent through inference.local with no extra hosts", () => {
    const policy = agentPolicy({ hosts: [] });
    expect(policy).toEqual({ version: 1, networkPolicies: {} });
    expect(localProxy(policy).decide(connect("api.anthropic.com")).allowed).toBe(false);
  });

  it("refuses an egressHosts entry that is not host or host:port, naming it", () => {
    for (const bad of [
      "https://api.example.com",
      "API.example.com",
      "api.example.com:0",
      "api.example.com:99999",
      "",
    ]) {
      let error: unknown;
      try {
        agentPolicy({ egressHosts: ["ok.example.com", bad] });
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ field: "egressHosts[1]" });
    }
  });
});
