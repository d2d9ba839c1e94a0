import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Provider, ProviderSchema } from "../../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { compileEndpoint } from "../../../../src/local/credentials/binding-patterns.js";
import {
  type AttachedProvider,
  providerEnvironment,
} from "../../../../src/local/credentials/provider-environment.js";
import { profileEndpoints } from "../../../../src/local/credentials/provider-profiles.js";

/** Which credentials a sandbox's processes get, bound where, at which revision. */

const NOW = Date.UTC(2026, 0, 1);

function provider(
  name: string,
  type: string,
  credentials: Record<string, string>,
  version = 1n,
): AttachedProvider {
  return {
    name,
    provider: create(ProviderSchema, {
      type,
      credentials,
      metadata: { id: `id-${name}`, name, workspace: "default", resourceVersion: version },
    }) as Provider,
  };
}

function policy(init: MessageInitShape<typeof SandboxPolicySchema>) {
  return create(SandboxPolicySchema, init);
}

const matches = (
  host: string,
  port: number,
  path: string,
  at: { host: string; port: number; path: string },
) => compileEndpoint(at).matches(host, port, path);

describe("credential binding endpoints", () => {
  it("match hosts label by label as upstream: * within one label, ** one or more labels", () => {
    const s3 = { host: "*.s3.*.amazonaws.com", port: 443, path: "" };
    expect(matches("bucket.s3.eu-west-1.amazonaws.com", 443, "/k", s3)).toBe(true);
    expect(matches("a.b.s3.eu-west-1.amazonaws.com", 443, "/k", s3)).toBe(false);
    expect(matches("bucket.s3.eu-west-1.amazonaws.com", 80, "/k", s3)).toBe(false);
    const vertex = { host: "*-aiplatform.googleapis.com", port: 443, path: "" };
    expect(matches("us-central1-aiplatform.googleapis.com", 443, "/", vertex)).toBe(true);
    expect(matches("aiplatform.googleapis.com", 443, "/", vertex)).toBe(false);
    const deep = { host: "**.example.com", port: 443, path: "" };
    expect(matches("a.b.example.com", 443, "/", deep)).toBe(true);
    expect(matches("example.com", 443, "/", deep)).toBe(false);
    expect(
      matches("API.GitHub.com".toLowerCase(), 443, "/", { host: "api.github.com.", port: 443, path: "" }),
    ).toBe(true);
  });

  it("match paths as upstream's EndpointPathPattern: any, a subtree, or a glob whose * crosses /", () => {
    const at = (path: string) => ({ host: "h.test", port: 443, path });
    expect(matches("h.test", 443, "/anything", at(""))).toBe(true);
    expect(matches("h.test", 443, "/v1", at("/v1/**"))).toBe(true);
    expect(matches("h.test", 443, "/v1/chat/x", at("/v1/**"))).toBe(true);
    expect(matches("h.test", 443, "/v10", at("/v1/**"))).toBe(false);
    expect(matches("h.test", 443, "/v1/chat/messages", at("/v1/*"))).toBe(true);
    expect(matches("h.test", 443, "/v1/completions", at("/v*/messages"))).toBe(false);
    expect(matches("h.test", 443, "[", at("["))).toBe(true);
  });

  it("refuse a port out of range or an empty host with upstream's message", () => {
    expect(() => compileEndpoint({ host: "h.test", port: 0, path: "" })).toThrow(
      "static credential binding contains an invalid endpoint",
    );
    expect(() => compileEndpoint({ host: "", port: 443, path: "" })).toThrow("invalid endpoint");
  });
});

describe("built-in provider profiles", () => {
  it("bind github to the API (and its /graphql) and git over HTTPS, and know the endpointless and profileless types", () => {
    expect(profileEndpoints("github")).toEqual([
      { host: "api.github.com", port: 443, path: "" },
      { host: "api.github.com", port: 443, path: "/graphql" },
      { host: "github.com", port: 443, path: "" },
    ]);
    expect(profileEndpoints("aws")).toEqual([]);
    expect(profileEndpoints("google-cloud")).toEqual([]);
    expect(profileEndpoints("openai")).toBeUndefined();
    expect(profileEndpoints("constructor")).toBeUndefined();
  });
});

describe("a sandbox's provider environment", () => {
  it("gives each credential of a profiled provider as a revisioned placeholder bound to the profile's endpoints", () => {
    const env = providerEnvironment([provider("gh", "github", { GITHUB_TOKEN: "ghp_real" })], undefined, NOW);
    expect(env.env).toEqual({ GITHUB_TOKEN: `openshell:resolve:env:v${env.revision}_GITHUB_TOKEN` });
    expect(env.revision).toBeGreaterThan(0n);
    expect(env.secrets.get("GITHUB_TOKEN")?.value).toBe("ghp_real");
    const binding = env.bindings.get("GITHUB_TOKEN");
    expect(binding?.identity).toBe("id-gh:GITHUB_TOKEN");
    expect(binding?.endpoints.some((e) => e.matches("api.github.com", 443, "/user"))).toBe(true);
    expect(binding?.endpoints.some((e) => e.matches("evil.test", 443, "/user"))).toBe(false);
    expect(JSON.stringify(env.env)).not.toContain("ghp_real");
    expect(JSON.stringify(env.notes)).not.toContain("ghp_real");
  });

  it("changes revision when a provider changes (its resource version), and not otherwise", () => {
    const a = providerEnvironment([provider("gh", "github", { GITHUB_TOKEN: "one" })], undefined, NOW);
    const same = providerEnvironment([provider("gh", "github", { GITHUB_TOKEN: "one" })], undefined, NOW);
    const updated = providerEnvironment(
      [provider("gh", "github", { GITHUB_TOKEN: "two" }, 2n)],
      undefined,
      NOW,
    );
    expect(same.revision).toBe(a.revision);
    expect(updated.revision).not.toBe(a.revision);
  });

  it("withholds every static credential when a provider without a profile is attached, as upstream's supervisor", () => {
    const env = providerEnvironment(
      [
        provider("gh", "github", { GITHUB_TOKEN: "ghp" }),
        provider("llm", "openai", { OPENAI_API_KEY: "sk" }),
      ],
      undefined,
      NOW,
    );
    expect(env.env).toEqual({});
    expect(env.secrets.size).toBe(0);
    expect(env.notes.map((n) => n.message).join("\n")).toContain(
      'provider environment contains an unclassified credential key: provider "llm"',
    );
  });

  it("withholds an endpointless profile's credentials unless the policy binds the provider with credential_binding", () => {
    const aws = provider("cloud", "aws", { AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s3cr3t" });
    const withheld = providerEnvironment([aws], undefined, NOW);
    expect(withheld.env).toEqual({});
    expect(withheld.notes[0]?.message).toContain("the aws profile names no endpoint");

    const bound = providerEnvironment(
      [aws],
      policy({
        networkPolicies: {
          s3: {
            endpoints: [
              {
                host: "minio.test",
                port: 9000,
                path: "/bucket/**",
                credentialBinding: { provider: "cloud" },
              },
            ],
          },
        },
      }),
      NOW,
    );
    expect(Object.keys(bound.env).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    const endpoints = bound.bindings.get("AWS_ACCESS_KEY_ID")?.endpoints ?? [];
    expect(endpoints.some((e) => e.matches("minio.test", 9000, "/bucket/key"))).toBe(true);
    expect(endpoints.some((e) => e.matches("minio.test", 9000, "/other"))).toBe(false);
    expect(bound.revision).not.toBe(withheld.revision);
  });

  it("refuses what upstream's gateway refuses, with its words, and then gives nothing", () => {
    const gh = provider("gh", "github", { GITHUB_TOKEN: "ghp" });
    const bindTo = (name: string) =>
      policy({
        networkPolicies: {
          r: { endpoints: [{ host: "x.test", port: 443, credentialBinding: { provider: name } }] },
        },
      });
    const reasons = (env: ReturnType<typeof providerEnvironment>) =>
      env.notes.map((n) => n.message).join("\n");

    const profiled = providerEnvironment([gh], bindTo("gh"), NOW);
    expect(profiled.env).toEqual({});
    expect(reasons(profiled)).toContain("credential_binding provider 'gh' profile already defines endpoints");
    expect(reasons(providerEnvironment([gh], bindTo("other"), NOW))).toContain(
      "credential_binding references provider 'other', but that provider is not attached to the sandbox",
    );
    const hostless = policy({
      networkPolicies: { r: { endpoints: [{ host: "", port: 443, credentialBinding: { provider: "gh" } }] } },
    });
    expect(reasons(providerEnvironment([gh], hostless, NOW))).toContain(
      "credential-bound endpoint for provider 'gh' must define a host",
    );
    expect(reasons(providerEnvironment([gh], bindTo(" gh"), NOW))).toContain(
      "must not contain leading or trailing whitespace",
    );
    expect(
      reasons(providerEnvironment([gh, provider("gh2", "github", { GITHUB_TOKEN: "x" })], undefined, NOW)),
    ).toContain("credential env key 'GITHUB_TOKEN' is provided by both provider 'gh' and provider 'gh2'");
  });

  it("skips keys that cannot be variables or are expired, and says so without their values", () => {
    const p = provider("gh", "github", { GITHUB_TOKEN: "ghp", "BAD-KEY": "v1", v12_X: "v2", OLD: "v3" });
    if (p.provider) p.provider.credentialExpiresAtMs.OLD = BigInt(NOW - 1);
    const env = providerEnvironment([p], undefined, NOW);
    expect(Object.keys(env.env)).toEqual(["GITHUB_TOKEN"]);
    const said = env.notes.map((n) => n.message).join("\n");
    expect(said).toContain("BAD-KEY");
    expect(said).toContain("v12_X");
    expect(said).toContain("OLD has expired");
    for (const value of ["ghp", "v1", "v2", "v3"]) expect(said).not.toContain(`"${value}"`);
  });
});
