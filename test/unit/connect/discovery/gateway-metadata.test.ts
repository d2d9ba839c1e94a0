import { describe, expect, it } from "vitest";
import { parseGatewayMetadata } from "../../../../src/connect/discovery/gateway-metadata.js";
import { GatewayConfigError } from "../../../../src/errors.js";

const file = "/cfg/gateways/demo/metadata.json";
const parse = (json: unknown) => parseGatewayMetadata(JSON.stringify(json), file);

function configError(fn: () => unknown): GatewayConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayConfigError);
    return err as GatewayConfigError;
  }
  throw new Error("expected a GatewayConfigError");
}

describe("parseGatewayMetadata", () => {
  it("reads gateway_endpoint, and the older endpoint field", () => {
    expect(parse({ gateway_endpoint: "https://127.0.0.1:17670" }).endpoint).toBe("https://127.0.0.1:17670");
    expect(parse({ endpoint: "http://127.0.0.1:8080" }).endpoint).toBe("http://127.0.0.1:8080");
    expect(parse({ gateway_endpoint: "https://new:1", endpoint: "https://old:2" }).endpoint).toBe(
      "https://new:1",
    );
    expect(parse({ name: "demo" }).endpoint).toBeUndefined();
  });

  it("accepts the CLI's full metadata with nulls and unknown fields", () => {
    const m = parse({
      name: "openshell",
      gateway_endpoint: "https://127.0.0.1:17670",
      is_remote: false,
      gateway_port: 17670,
      remote_host: null,
      resolved_host: null,
      auth_mode: null,
      something_new: { nested: true },
    });
    expect(m.authMode).toBe("mtls");
    expect(m.file).toBe(file);
  });

  it("maps each auth mode; missing and mtls both mean mTLS", () => {
    expect(parse({}).authMode).toBe("mtls");
    for (const mode of ["mtls", "plaintext", "cloudflare_jwt", "oidc", "none"]) {
      expect(parse({ auth_mode: mode }).authMode).toBe(mode);
    }
  });

  it("reads edge fields under their new and old (cf_*) names, new winning", () => {
    const old = parse({ cf_team_domain: "team.example", cf_auth_url: "https://auth.example" });
    expect(old.edgeTeamDomain).toBe("team.example");
    expect(old.edgeAuthUrl).toBe("https://auth.example");
    const both = parse({
      edge_team_domain: "new.example",
      cf_team_domain: "old.example",
      edge_auth_url: "https://n",
    });
    expect(both.edgeTeamDomain).toBe("new.example");
    expect(both.edgeAuthUrl).toBe("https://n");
  });

  it("reads the oidc fields, splitting scopes on whitespace", () => {
    const m = parse({
      auth_mode: "oidc",
      oidc_issuer: "https://issuer.example",
      oidc_client_id: "cli",
      oidc_audience: "openshell",
      oidc_scopes: "openid  profile offline_access",
    });
    expect(m).toMatchObject({
      oidcIssuer: "https://issuer.example",
      oidcClientId: "cli",
      oidcAudience: "openshell",
      oidcScopes: ["openid", "profile", "offline_access"],
    });
  });

  it("rejects an unknown auth mode, naming the file, the value and the valid modes", () => {
    const err = configError(() => parse({ auth_mode: "kerberos" }));
    expect(err.source).toBe(file);
    expect(err.message).toContain(file);
    expect(err.message).toContain('"kerberos"');
    for (const mode of ["mtls", "plaintext", "cloudflare_jwt", "oidc", "none"])
      expect(err.message).toContain(mode);
  });

  it("rejects unparseable JSON naming the file", () => {
    const err = configError(() => parseGatewayMetadata("{ not json", file));
    expect(err.source).toBe(file);
    expect(err.message).toContain(file);
    expect(err.message).toContain("not valid JSON");
  });

  it("rejects JSON that is not an object, or fields of the wrong type, naming the file", () => {
    expect(configError(() => parseGatewayMetadata("[1,2]", file)).message).toContain(file);
    const err = configError(() => parse({ gateway_endpoint: 17670 }));
    expect(err.message).toContain(file);
    expect(err.message).toContain("gateway_endpoint");
  });
});
