import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayConfigError, OpenShell, UnauthenticatedError } from "../../../src/index.js";
import { setActiveGateway, writeGatewayConfig } from "../../support/certs.js";
import { startTestGateway, type TestGateway } from "../../support/test-gateway/index.js";

/**
 * What a user of the openshell CLI has on disk is enough: the SDK finds the gateway, loads its mTLS
 * bundle and reaches it over real TLS, with no options at all.
 */
describe("connecting through the CLI's config files", () => {
  let gateway: TestGateway;
  let configHome: string;
  let root: string;

  beforeAll(async () => {
    gateway = await startTestGateway();
    configHome = mkdtempSync(join(tmpdir(), "openshell-xdg-"));
    root = join(configHome, "openshell");
    writeGatewayConfig(root, "lab", {
      endpoint: gateway.endpoint,
      ca: gateway.ca,
      cert: gateway.client.cert,
      key: gateway.client.key,
    });
  });
  afterAll(async () => {
    await gateway.close();
  });

  const env = () => ({
    XDG_CONFIG_HOME: configHome,
    OPENSHELL_SYSTEM_GATEWAY_DIR: join(configHome, "no-system"),
  });

  it("uses the active gateway when nothing is given", async () => {
    setActiveGateway(root, "lab");
    const os = await OpenShell.connect({ env: env(), homeDir: configHome });
    expect(os.gatewayName).toBe("lab");
    expect(os.endpoint).toBe(gateway.endpoint);
    expect((await os.health()).status).toBe("healthy");
    os.close();
  });

  it("uses OPENSHELL_GATEWAY over the active gateway", async () => {
    writeGatewayConfig(root, "other", { endpoint: "https://127.0.0.1:1" });
    setActiveGateway(root, "other");
    const os = await OpenShell.connect({ env: { ...env(), OPENSHELL_GATEWAY: "lab" }, homeDir: configHome });
    expect((await os.health()).status).toBe("healthy");
    os.close();
  });

  it("takes credentials for an explicit endpoint from the stored gateway with that endpoint", async () => {
    const os = await OpenShell.connect({
      env: { ...env(), OPENSHELL_GATEWAY_ENDPOINT: `${gateway.endpoint}/` },
      homeDir: configHome,
    });
    expect((await os.health()).status).toBe("healthy");
    os.close();
  });

  it("names the missing certificate file", async () => {
    const dir = writeGatewayConfig(root, "nokey", {
      endpoint: gateway.endpoint,
      ca: gateway.ca,
      cert: gateway.client.cert,
    });
    const err = await OpenShell.connect({ env: env(), homeDir: configHome, gateway: "nokey" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect((err as GatewayConfigError).message).toContain(join(dir, "mtls", "tls.key"));
  });

  it("says what it looked at when no gateway is configured", async () => {
    const empty = mkdtempSync(join(tmpdir(), "openshell-empty-"));
    const err = await OpenShell.connect({
      env: { XDG_CONFIG_HOME: empty, OPENSHELL_SYSTEM_GATEWAY_DIR: join(empty, "sys") },
      homeDir: empty,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect((err as Error).message).toContain("OPENSHELL_GATEWAY_ENDPOINT");
    expect((err as Error).message).toContain(join(empty, "openshell", "active_gateway"));
  });
});

describe("tokens", () => {
  let gateway: TestGateway;
  const home = mkdtempSync(join(tmpdir(), "openshell-token-"));

  beforeAll(async () => {
    gateway = await startTestGateway({ auth: { bearer: "secret-bearer-token" } });
  });
  afterAll(async () => {
    await gateway.close();
  });

  const tls = () => ({ ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key });

  it("sends the bearer token and the gateway accepts it", async () => {
    const os = await OpenShell.connect({
      endpoint: gateway.endpoint,
      tls: tls(),
      token: "secret-bearer-token",
      env: {},
      homeDir: home,
    });
    expect(await os.sandboxes.list()).toEqual([]);
    expect(gateway.lastHeaders()?.authorization).toBe("Bearer secret-bearer-token");
    os.close();
  });

  it("reports a wrong token as unauthenticated without echoing it", async () => {
    const os = await OpenShell.connect({
      endpoint: gateway.endpoint,
      tls: tls(),
      token: "wrong-token-value",
      env: {},
      homeDir: home,
    });
    const err = await os.sandboxes.list().catch((e: unknown) => e);
    os.close();
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(String(err)).not.toContain("wrong-token-value");
  });

  it("reads the edge token file of a stored gateway and sends both edge headers", async () => {
    const edgeGateway = await startTestGateway({ auth: { edge: "edge-token-value" } });
    try {
      const configHome = mkdtempSync(join(tmpdir(), "openshell-edge-"));
      const dir = writeGatewayConfig(join(configHome, "openshell"), "edge", {
        endpoint: edgeGateway.endpoint,
        ca: edgeGateway.ca,
        cert: edgeGateway.client.cert,
        key: edgeGateway.client.key,
        authMode: "cloudflare_jwt",
      });
      writeFileSync(join(dir, "edge_token"), "edge-token-value\n", { mode: 0o600 });
      const os = await OpenShell.connect({
        gateway: "edge",
        env: { XDG_CONFIG_HOME: configHome },
        homeDir: configHome,
      });
      expect(await os.sandboxes.list()).toEqual([]);
      expect(edgeGateway.lastHeaders()?.["cf-access-jwt-assertion"]).toBe("edge-token-value");
      expect(edgeGateway.lastHeaders()?.cookie).toContain("CF_Authorization=edge-token-value");
      os.close();
    } finally {
      await edgeGateway.close();
    }
  });

  it("refuses to send a token in clear text to a host that is not loopback", async () => {
    const err = await OpenShell.connect({
      endpoint: "http://gateway.example.com:8080",
      token: "t",
      env: {},
      homeDir: home,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect((err as Error).message).toMatch(/allowInsecureToken/);
  });
});
