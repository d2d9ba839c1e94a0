import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveGateway } from "../../../../src/connect/discovery/resolve-gateway.js";
import type { GatewayAuth } from "../../../../src/connect/gateway-target.js";
import { ConfigFixture } from "./config-fixture.js";
import { expectConfigError } from "./expect-config-error.js";

let fx: ConfigFixture;
beforeEach(async () => {
  fx = await ConfigFixture.create();
});
afterEach(async () => {
  await fx.cleanup();
});

const farFuture = Math.floor(Date.now() / 1000) + 3600;
const oidcToken = {
  access_token: "stored-access",
  expires_at: farFuture,
  issuer: "https://i",
  client_id: "c",
};
const meta = (endpoint: string, auth_mode?: string) => ({ gateway_endpoint: endpoint, auth_mode });

async function bearer(auth: GatewayAuth): Promise<string> {
  expect(auth.kind).toBe("bearer");
  return auth.kind === "bearer" ? auth.source.token() : "";
}

describe("resolveGateway: credentials", () => {
  it("option token becomes a fixed bearer token", async () => {
    const target = await resolveGateway(fx.options({ endpoint: "https://10.0.0.1:1", token: "opt-token" }));
    expect(await bearer(target.auth)).toBe("opt-token");
  });

  it("an oidc gateway reads its oidc_token.json", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: meta("https://10.0.0.1:1", "oidc"), oidcToken });
    const target = await resolveGateway(fx.options({ gateway: "gw" }));
    expect(await bearer(target.auth)).toBe("stored-access");
  });

  it("option token beats the oidc token file", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: meta("https://10.0.0.1:1", "oidc"), oidcToken });
    expect(await bearer((await resolveGateway(fx.options({ gateway: "gw", token: "opt" }))).auth)).toBe(
      "opt",
    );
  });

  it("an oidc gateway without oidc_token.json is an error naming the file and saying to log in", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: meta("https://10.0.0.1:1", "oidc") });
    const err = await expectConfigError(resolveGateway(fx.options({ gateway: "gw" })));
    const file = path.join(fx.userRoot, "gateways", "gw", "oidc_token.json");
    expect(err.source).toBe(file);
    expect(err.message).toContain(file);
    expect(err.message).toContain("log in with the openshell CLI");
  });

  it("reads edge_token (trimmed), else the old cf_token", async () => {
    await fx.addGateway(fx.userRoot, "new", {
      metadata: meta("https://10.0.0.1:1", "cloudflare_jwt"),
      edgeToken: " edge-new \n",
      cfToken: "edge-old",
    });
    await fx.addGateway(fx.userRoot, "old", {
      metadata: meta("https://10.0.0.2:1", "cloudflare_jwt"),
      cfToken: "cf",
    });
    expect((await resolveGateway(fx.options({ gateway: "new" }))).auth).toEqual({
      kind: "edge",
      token: "edge-new",
    });
    expect((await resolveGateway(fx.options({ gateway: "old" }))).auth).toEqual({
      kind: "edge",
      token: "cf",
    });
  });

  it("option edgeToken beats the stored edge token", async () => {
    await fx.addGateway(fx.userRoot, "gw", {
      metadata: meta("https://10.0.0.1:1", "cloudflare_jwt"),
      edgeToken: "f",
    });
    const target = await resolveGateway(fx.options({ gateway: "gw", edgeToken: "opt-edge" }));
    expect(target.auth).toEqual({ kind: "edge", token: "opt-edge" });
  });

  it("a cloudflare_jwt gateway without a token file is an error naming the file", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: meta("https://10.0.0.1:1", "cloudflare_jwt") });
    const err = await expectConfigError(resolveGateway(fx.options({ gateway: "gw" })));
    expect(err.source).toBe(path.join(fx.userRoot, "gateways", "gw", "edge_token"));
    expect(err.message).toContain("openshell CLI");
  });

  it("bearer wins when both a bearer and an edge token are available", async () => {
    await fx.addGateway(fx.userRoot, "gw", {
      metadata: meta("https://10.0.0.1:1", "oidc"),
      oidcToken,
      edgeToken: "edge",
    });
    expect(await bearer((await resolveGateway(fx.options({ gateway: "gw" }))).auth)).toBe("stored-access");
    const both = await resolveGateway(
      fx.options({ endpoint: "https://10.0.0.9:1", token: "t", edgeToken: "e" }),
    );
    expect(await bearer(both.auth)).toBe("t");
  });

  it("an endpoint matched to a registration picks up its tokens", async () => {
    await fx.addGateway(fx.userRoot, "gw", {
      metadata: meta("https://10.0.0.1:1", "cloudflare_jwt"),
      edgeToken: "m",
    });
    const target = await resolveGateway(fx.options({ endpoint: "https://10.0.0.1:1/" }));
    expect(target.auth).toEqual({ kind: "edge", token: "m" });
  });
});

describe("resolveGateway: plaintext token guard", () => {
  it("refuses a token over http:// to a non-loopback host, explaining the opt-in, without the token", async () => {
    const err = await expectConfigError(
      resolveGateway(fx.options({ endpoint: "http://10.0.0.5:8080", token: "super-secret-token" })),
    );
    expect(err.message).toContain("clear text");
    expect(err.message).toContain("allowInsecureToken: true");
    expect(err.message).toContain("option endpoint");
    expect(err.message).not.toContain("super-secret-token");
    expect(err.toString()).not.toContain("super-secret-token");
    expect(JSON.stringify(err)).not.toContain("super-secret-token");
  });

  it("refuses a stored edge token too, naming the metadata file the endpoint came from", async () => {
    await fx.addGateway(fx.userRoot, "gw", {
      metadata: meta("http://gw.example.com:8080", "plaintext"),
      edgeToken: "s3",
    });
    const err = await expectConfigError(resolveGateway(fx.options({ gateway: "gw" })));
    expect(err.source).toBe(path.join(fx.userRoot, "gateways", "gw", "metadata.json"));
    expect(err.message).not.toContain("s3");
  });

  it("allows it with allowInsecureToken: true", async () => {
    const target = await resolveGateway(
      fx.options({ endpoint: "http://10.0.0.5:8080", edgeToken: "e", allowInsecureToken: true }),
    );
    expect(target.allowInsecureToken).toBe(true);
    expect(target.auth.kind).toBe("edge");
  });

  it("allows tokens over http:// to loopback hosts, and plaintext without tokens anywhere", async () => {
    for (const endpoint of [
      "http://127.0.0.1:8080",
      "http://127.8.9.10:1",
      "http://[::1]:8080",
      "http://localhost:1",
    ]) {
      const target = await resolveGateway(fx.options({ endpoint, token: "t" }));
      expect(target.auth.kind, endpoint).toBe("bearer");
      expect(target.allowInsecureToken).toBe(false);
    }
    const open = await resolveGateway(fx.options({ endpoint: "http://10.0.0.5:8080" }));
    expect(open.auth).toEqual({ kind: "none" });
  });
});
