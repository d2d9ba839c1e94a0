import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell as OpenShellService, ServiceStatus } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { CanceledError, OpenShell, TlsError } from "../../../src/index.js";
import {
  ensureGatewayCertificates,
  type GatewayCertificates,
} from "../../../src/local/listen/gateway-certificates.js";
import { listenWithMtls, type MtlsListener } from "../../../src/local/listen/loopback-listener.js";
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from "../../support/certs.js";

/**
 * Node's own HTTP/2 TLS server (the local gateway's `listen()`) drops a connection whose client
 * certificate it rejects without a TLS alert; the scripted test gateway sends one, so this suite talks
 * to the real listener. The HTTP/2 streams then fail as "canceled", but the caller did not cancel
 * anything: the client must say the certificate was likely rejected, and still report a real
 * cancellation as one.
 */
describe("a client rejected by Node's mTLS listener after the handshake", () => {
  let calls = 0;
  let hang = false;
  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(OpenShellService, {
        async health(_request, ctx) {
          calls++;
          if (hang) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return { status: ServiceStatus.HEALTHY, version: "0.0.0-rejections" };
        },
      });
    },
  });

  const base = mkdtempSync(join(tmpdir(), "openshell-mtls-rejections-"));
  let certs: GatewayCertificates;
  let listener: MtlsListener;

  beforeAll(async () => {
    certs = await ensureGatewayCertificates(join(base, "tls"));
    listener = await listenWithMtls(handler, { certificates: certs });
  });
  afterAll(async () => {
    await listener?.close();
    await rm(base, { recursive: true, force: true });
  });

  function connect(endpoint: string, ca: string, client: { cert: string; key: string }) {
    return OpenShell.connect({
      endpoint,
      tls: { ca, cert: client.cert, key: client.key },
      env: {},
      homeDir: base,
      retry: false,
      timeouts: { callTimeoutMs: 5000 },
    });
  }

  it("reports a client certificate from another CA as a TlsError that says what to check", async () => {
    const otherCa = await createCertificateAuthority("someone-else");
    const stranger = await issueClientCertificate(otherCa, { commonName: "stranger" });
    const callsBefore = calls;
    await using os = await connect(listener.endpoint, certs.ca, stranger);
    const err = await os.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    const message = (err as TlsError).message;
    expect(message).toContain(listener.endpoint);
    expect(message).toMatch(/closed the connection right after the TLS handshake/);
    expect(message).toMatch(
      /most likely it rejected the client certificate \(issued by another CA, or expired\)/,
    );
    expect(message).toMatch(/mtls\/tls\.crt.*tls\.cert/);
    expect(calls).toBe(callsBefore);
  });

  it("says the same for an expired client certificate from the right CA", async () => {
    const ca = await createCertificateAuthority("expiry-ca");
    const own = await listenWithMtls(handler, {
      certificates: {
        ca: ca.cert,
        server: await issueServerCertificate(ca),
        client: await issueClientCertificate(ca, { commonName: "fresh" }),
      },
    });
    try {
      const expired = await issueClientCertificate(ca, {
        commonName: "expired",
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      });
      await using os = await connect(own.endpoint, ca.cert, expired);
      const err = await os.health().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect((err as TlsError).message).toMatch(/right after the TLS handshake.*client certificate/);
    } finally {
      await own.close();
    }
  });

  it("still reports the caller's own AbortSignal as a cancellation", async () => {
    await using os = await connect(listener.endpoint, certs.ca, certs.client);
    expect((await os.health()).status).toBe("healthy");
    hang = true;
    try {
      const controller = new AbortController();
      const callsBefore = calls;
      const call = os.health({ signal: controller.signal });
      await expect.poll(() => calls).toBe(callsBefore + 1);
      controller.abort();
      const err = await call.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CanceledError);
      expect((err as CanceledError).message).toMatch(/canceled by the caller's AbortSignal/);
    } finally {
      hang = false;
    }
  });
});
