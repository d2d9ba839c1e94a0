import { InvalidArgumentError } from "openshell";
import { describe, expect, it } from "vitest";
import { agentPolicy } from "../../../../../adapters/agent-registry/policy/agent-policy.js";
import { buildCreateSandboxRequest } from "../../../../../src/client/sandboxes/create-sandbox-options.js";
import { compileEgressPolicy } from "../../../../../src/local/egress/egress-policy.js";

/** The policy as the SDK sends it, compiled by local mode's egress proxy (which refuses what it cannot enforce). */
function localProxy(policy: ReturnType<typeof agentPolicy>) {
  const request = buildCreateSandboxRequest({ policy }, "default");
  return compileEgressPolicy(request.spec?.policy?.networkPolicies ?? {});
}

const connect = (host: string, port = 443) => ({ host, port, kind: "connect" as const });

describe("agentPolicy", () => {
  it("allows the model host on 443 and nothing else", () => {
    const policy = agentPolicy({ hosts: [{ host: "api.anthropic.com", port: 443 }] });
    expect(policy).toEqual({
      version: 1,
      networkPolicies: {
        "agent-model": {
          name: "agent-model",
          endpoints: [{ host: "api.anthropic.com", port: 443, enforcement: "enforce" }],
        },
      },
    });
    const proxy = localProxy(policy);
    expect(proxy.decide(connect("api.anthropic.com"))).toMatchObject({ allowed: true, rule: "agent-model" });
    expect(proxy.decide(connect("api.anthropic.com", 80)).allowed).toBe(false);
    expect(proxy.decide(connect("api.openai.com")).allowed).toBe(false);
    expect(
      proxy.decide({
        ...connect("api.anthropic.com", 443),
        kind: "http",
        method: "POST",
        path: "/v1/messages",
      }),
    ).toMatchObject({
      allowed: true,
    });
    // Host and port only: HTTPS (a CONNECT tunnel) passes, which L7 rules would deny in local mode.
    expect(proxy.needsPlainHttp).toEqual([]);
  });

  it("leaves out the proof of concept's method and path rules: local mode would deny HTTPS to them", () => {
    const withRules = agentPolicy({});
    withRules.networkPolicies = {
      nvidia: {
        endpoints: [
          {
            host: "integrate.api.nvidia.com",
            port: 443,
            rules: [{ allow: { method: "POST", path: "/v1/**" } }],
          },
        ],
      },
    };
    const proxy = localProxy(withRules);
    expect(proxy.decide(connect("integrate.api.nvidia.com")).allowed).toBe(false);
    expect(proxy.needsPlainHttp).toHaveLength(1);
    const ours = localProxy(agentPolicy({ hosts: [{ host: "integrate.api.nvidia.com", port: 443 }] }));
    expect(ours.decide(connect("integrate.api.nvidia.com")).allowed).toBe(true);
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
