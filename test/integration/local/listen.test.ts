import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell as OpenShellService, ServiceStatus } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { GatewayConfigError, InvalidArgumentError, OpenShell, TlsError } from "../../../src/index.js";
import {
  createCertificateAuthority,
  issueCertificate,
} from "../../../src/local/listen/certificate-issuer.js";
import {
  ensureGatewayCertificates,
  type GatewayCertificates,
} from "../../../src/local/listen/gateway-certificates.js";
import { listenWithMtls, type MtlsListener } from "../../../src/local/listen/loopback-listener.js";
import { type GatewayRegistration, registerGateway } from "../../../src/local/listen/register-gateway.js";

/**
 * The local gateway's way in for other clients: certificates in a state folder, an mTLS listener on
 * loopback and a registration in the CLI's layout. A client that knows only the gateway's name gets
 * answers; one without the client certificate gets nothing.
 */
describe("a local gateway listening with mTLS and registered by name", () => {
  const version = "0.0.0-listen-test";
  let healthCalls = 0;
  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(OpenShellService, {
        async health() {
          healthCalls++;
          return { status: ServiceStatus.HEALTHY, version };
        },
      });
    },
  });

  let base: string;
  let configHome: string;
  let certs: GatewayCertificates;
  let listener: MtlsListener;
  let registration: GatewayRegistration;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "openshell-local-listen-"));
    configHome = join(base, "xdg");
    certs = await ensureGatewayCertificates(join(base, "state", "tls"));
    listener = await listenWithMtls(handler, { certificates: certs });
    registration = await registerGateway({
      name: "local-test",
      endpoint: listener.endpoint,
      certificates: certs,
      configRoot: join(configHome, "openshell"),
    });
  });
  afterAll(async () => {
    await registration?.unregister();
    await listener?.close();
    await rm(base, { recursive: true, force: true });
  });

  const env = () => ({
    XDG_CONFIG_HOME: configHome,
    OPENSHELL_SYSTEM_GATEWAY_DIR: join(configHome, "no-system"),
  });

  it("answers health() for a client that names the gateway", async () => {
    await using os = await OpenShell.connect({ gateway: "local-test", env: env(), homeDir: base });
    expect(os.gatewayName).toBe("local-test");
    expect(os.endpoint).toBe(listener.endpoint);
    expect(await os.health()).toEqual({ status: "healthy", version });
  });

  it("answers a client given no gateway once it is registered as the active one", async () => {
    const active = await registerGateway({
      name: "local-active",
      endpoint: listener.endpoint,
      certificates: certs,
      configRoot: join(configHome, "openshell"),
      makeActive: true,
    });
    try {
      await using os = await OpenShell.connect({ env: env(), homeDir: base });
      expect(os.gatewayName).toBe("local-active");
      expect((await os.health()).status).toBe("healthy");
    } finally {
      await active.unregister();
    }
    const err = await OpenShell.connect({ env: env(), homeDir: base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect((err as Error).message).toMatch(/no gateway configured/);
  });

  it("refuses a client without the client certificate", async () => {
    const callsBefore = healthCalls;
    await using os = await OpenShell.connect({
      endpoint: listener.endpoint,
      tls: { ca: certs.ca },
      env: {},
      homeDir: base,
      retry: false,
    });
    const err = await os.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/client certificate/);
    expect(healthCalls).toBe(callsBefore);
  });

  it("refuses a client whose certificate another CA signed", async () => {
    const otherCa = await createCertificateAuthority("someone-else");
    const stranger = await issueCertificate(otherCa, { commonName: "stranger", usage: "client" });
    const callsBefore = healthCalls;
    await using os = await OpenShell.connect({
      endpoint: listener.endpoint,
      tls: { ca: certs.ca, cert: stranger.cert, key: stranger.key },
      env: {},
      homeDir: base,
      retry: false,
      timeouts: { callTimeoutMs: 5000 },
    });
    const err = await os.health().catch((e: unknown) => e);
    // Node's TLS server drops such a connection without a TLS alert; the client still says what to check.
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/closed the connection right after the TLS handshake/);
    expect((err as Error).message).toMatch(/client certificate/);
    expect(healthCalls).toBe(callsBefore);
  });

  it("refuses to listen on 0.0.0.0 without allowNonLoopback", async () => {
    const err = await listenWithMtls(handler, { host: "0.0.0.0", certificates: certs }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/refusing to listen on "0\.0\.0\.0".*allowNonLoopback: true/);
  });
});
