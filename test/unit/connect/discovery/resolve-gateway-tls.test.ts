import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveGateway } from "../../../../src/connect/discovery/resolve-gateway.js";
import { allMtls, ConfigFixture, label, labelledPem } from "./config-fixture.js";
import { expectConfigError } from "./expect-config-error.js";

let fx: ConfigFixture;
beforeEach(async () => {
  fx = await ConfigFixture.create();
});
afterEach(async () => {
  await fx.cleanup();
});

const https = (extra: Record<string, unknown> = {}) => ({
  gateway_endpoint: "https://127.0.0.1:17670",
  ...extra,
});
const text = label;

describe("resolveGateway: mTLS gateways", () => {
  it("loads ca.crt, tls.crt and tls.key from the gateway's mtls folder", async () => {
    await fx.addGateway(fx.userRoot, "openshell", { metadata: https(), mtls: allMtls });
    const target = await resolveGateway(fx.options({ gateway: "openshell" }));
    expect(text(target.tls?.ca)).toBe("ca.crt of openshell");
    expect(text(target.tls?.cert)).toBe("tls.crt of openshell");
    expect(text(target.tls?.key)).toBe("tls.key of openshell");
    expect(target.tls?.serverName).toBeUndefined();
    expect(target.tls?.insecureSkipVerify).toBe(false);
    expect(target.auth).toEqual({ kind: "none" });
  });

  for (const missing of ["ca.crt", "tls.crt", "tls.key"] as const) {
    it(`names the exact missing file when ${missing} is absent (auth_mode missing or "mtls")`, async () => {
      for (const [name, metadata] of [
        ["implicit", https()],
        ["explicit", https({ auth_mode: "mtls" })],
      ] as const) {
        await fx.addGateway(fx.userRoot, name, { metadata, mtls: allMtls?.filter((f) => f !== missing) });
        const err = await expectConfigError(resolveGateway(fx.options({ gateway: name })));
        const file = path.join(fx.userRoot, "gateways", name, "mtls", missing);
        expect(err.source).toBe(file);
        expect(err.message).toContain(file);
      }
    });
  }

  it("needs no mtls files for an http endpoint", async () => {
    await fx.addGateway(fx.userRoot, "h2c", { metadata: { gateway_endpoint: "http://127.0.0.1:8080" } });
    const target = await resolveGateway(fx.options({ gateway: "h2c" }));
    expect(target.tls).toBeUndefined();
  });

  it("lets explicit tls options stand in for missing files", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: https(), mtls: ["ca.crt"] });
    const tls = {
      cert: await labelledPem("CERT", "cert"),
      key: Buffer.from(await labelledPem("KEY", "key")),
    };
    const target = await resolveGateway(fx.options({ gateway: "gw", tls }));
    expect(text(target.tls?.ca)).toBe("ca.crt of gw");
    expect(text(target.tls?.cert)).toBe("CERT");
    expect(text(target.tls?.key)).toBe("KEY");
  });
});

describe("resolveGateway: OIDC and other non-mTLS gateways over https", () => {
  const oidc = https({ auth_mode: "oidc", oidc_issuer: "https://issuer", oidc_client_id: "cli" });
  const token = { access_token: "at", issuer: "https://issuer", client_id: "cli" };

  it("uses the full mTLS bundle when all three files exist", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: oidc, mtls: allMtls, oidcToken: token });
    const tls = (await resolveGateway(fx.options({ gateway: "gw" }))).tls;
    expect([text(tls?.ca), text(tls?.cert), text(tls?.key)]).toEqual([
      "ca.crt of gw",
      "tls.crt of gw",
      "tls.key of gw",
    ]);
  });

  it("uses ca.crt alone when the client pair is incomplete", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: oidc, mtls: ["ca.crt", "tls.crt"], oidcToken: token });
    const tls = (await resolveGateway(fx.options({ gateway: "gw" }))).tls;
    expect(text(tls?.ca)).toBe("ca.crt of gw");
    expect(tls?.cert).toBeUndefined();
    expect(tls?.key).toBeUndefined();
  });

  it("uses system roots when there is no ca.crt", async () => {
    await fx.addGateway(fx.userRoot, "gw", {
      metadata: oidc,
      mtls: ["tls.crt", "tls.key"],
      oidcToken: token,
    });
    const tls = (await resolveGateway(fx.options({ gateway: "gw" }))).tls;
    expect(tls).toEqual({
      ca: undefined,
      cert: undefined,
      key: undefined,
      serverName: undefined,
      insecureSkipVerify: false,
    });
  });

  it("treats plaintext, cloudflare_jwt and none the same way (files optional)", async () => {
    for (const mode of ["plaintext", "cloudflare_jwt", "none"]) {
      await fx.addGateway(fx.userRoot, mode, { metadata: https({ auth_mode: mode }), edgeToken: "e" });
      const target = await resolveGateway(fx.options({ gateway: mode }));
      expect(target.tls?.ca, mode).toBeUndefined();
    }
  });
});

describe("resolveGateway: mTLS folder override", () => {
  it("OPENSHELL_GATEWAY_MTLS_DIR replaces the gateway's mtls folder", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: https(), mtls: allMtls });
    const dir = await fx.mtlsFolder("override", allMtls ?? []);
    const target = await resolveGateway(fx.options({ gateway: "gw" }, { OPENSHELL_GATEWAY_MTLS_DIR: dir }));
    expect(text(target.tls?.cert)).toBe("tls.crt of override");
    expect(text(target.tls?.ca)).toBe("ca.crt of override");
  });

  it("applies to an unregistered endpoint too", async () => {
    const dir = await fx.mtlsFolder("override", allMtls ?? []);
    const target = await resolveGateway(
      fx.options({ endpoint: "https://10.0.0.1:17670" }, { OPENSHELL_GATEWAY_MTLS_DIR: dir }),
    );
    expect(text(target.tls?.key)).toBe("tls.key of override");
  });

  it("option mtlsDir beats OPENSHELL_GATEWAY_MTLS_DIR", async () => {
    const envDir = await fx.mtlsFolder("from-env", allMtls ?? []);
    const optDir = await fx.mtlsFolder("from-option", allMtls ?? []);
    const target = await resolveGateway(
      fx.options(
        { endpoint: "https://10.0.0.1:17670", mtlsDir: optDir },
        { OPENSHELL_GATEWAY_MTLS_DIR: envDir },
      ),
    );
    expect(text(target.tls?.cert)).toBe("tls.crt of from-option");
  });

  it("a file missing from the override folder is an error naming it, even for a non-mTLS gateway", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: https({ auth_mode: "plaintext" }) });
    const dir = await fx.mtlsFolder("partial", ["ca.crt", "tls.crt"]);
    const err = await expectConfigError(
      resolveGateway(fx.options({ gateway: "gw" }, { OPENSHELL_GATEWAY_MTLS_DIR: dir })),
    );
    expect(err.source).toBe(path.join(dir, "tls.key"));
    expect(err.message).toContain(path.join(dir, "tls.key"));
    expect(err.message).toContain("OPENSHELL_GATEWAY_MTLS_DIR");
  });
});

describe("resolveGateway: tls options, SNI and verification", () => {
  it("OPENSHELL_GATEWAY_TLS_SERVER_NAME sets SNI; tls.serverName beats it", async () => {
    const env = { OPENSHELL_GATEWAY_TLS_SERVER_NAME: "gw.internal" };
    const endpoint = "https://10.0.0.1:17670";
    expect((await resolveGateway(fx.options({ endpoint }, env))).tls?.serverName).toBe("gw.internal");
    expect(
      (await resolveGateway(fx.options({ endpoint, tls: { serverName: "opt.internal" } }, env))).tls,
    ).toMatchObject({ serverName: "opt.internal" });
  });

  it("OPENSHELL_GATEWAY_INSECURE turns off verification; tls.insecureSkipVerify beats it", async () => {
    const endpoint = "https://10.0.0.1:17670";
    const insecure = async (env: Record<string, string>, tls?: { insecureSkipVerify: boolean }) =>
      (await resolveGateway(fx.options({ endpoint, ...(tls && { tls }) }, env))).tls?.insecureSkipVerify;
    expect(await insecure({})).toBe(false);
    expect(await insecure({ OPENSHELL_GATEWAY_INSECURE: "1" })).toBe(true);
    expect(await insecure({ OPENSHELL_GATEWAY_INSECURE: "TRUE" })).toBe(true);
    expect(await insecure({ OPENSHELL_GATEWAY_INSECURE: "False" })).toBe(false);
    expect(await insecure({ OPENSHELL_GATEWAY_INSECURE: "0" })).toBe(false);
    expect(await insecure({ OPENSHELL_GATEWAY_INSECURE: "" })).toBe(false);
    expect(await insecure({ OPENSHELL_GATEWAY_INSECURE: "1" }, { insecureSkipVerify: false })).toBe(false);
    expect(await insecure({}, { insecureSkipVerify: true })).toBe(true);
  });

  it("reads tls.caFile, tls.certFile and tls.keyFile from disk, beating the mtls folder", async () => {
    await fx.addGateway(fx.userRoot, "gw", { metadata: https(), mtls: allMtls });
    const ca = path.join(fx.base, "my-ca.pem");
    await writeFile(ca, await labelledPem("MY CA", "cert"));
    const target = await resolveGateway(fx.options({ gateway: "gw", tls: { caFile: ca } }));
    expect(text(target.tls?.ca)).toBe("MY CA");
    expect(text(target.tls?.cert)).toBe("tls.crt of gw");
  });

  it("a missing tls.*File is an error naming the path", async () => {
    const missing = path.join(fx.base, "nope.pem");
    for (const key of ["caFile", "certFile", "keyFile"]) {
      const err = await expectConfigError(
        resolveGateway(fx.options({ endpoint: "https://10.0.0.1:1", tls: { [key]: missing } })),
      );
      expect(err.source).toBe(missing);
      expect(err.message).toContain(missing);
      expect(err.message).toContain(key);
    }
  });

  it("giving both tls.ca and tls.caFile is an error", async () => {
    const err = await expectConfigError(
      resolveGateway(fx.options({ endpoint: "https://10.0.0.1:1", tls: { ca: "CA", caFile: "/x" } })),
    );
    expect(err.message).toContain("tls.ca");
    expect(err.message).toContain("tls.caFile");
  });

  it("a client certificate without its key is an error", async () => {
    const err = await expectConfigError(
      resolveGateway(fx.options({ endpoint: "https://10.0.0.1:1", tls: { cert: "CERT" } })),
    );
    expect(err.message).toContain("without its key");
  });

  it("ignores TLS settings for http endpoints", async () => {
    const target = await resolveGateway(
      fx.options({ endpoint: "http://127.0.0.1:1", tls: { ca: "CA" } }, { OPENSHELL_GATEWAY_INSECURE: "1" }),
    );
    expect(target.tls).toBeUndefined();
  });
});
