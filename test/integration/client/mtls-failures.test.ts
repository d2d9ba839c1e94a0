import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, TlsError } from "../../../src/index.js";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueClientCertificate,
} from "../../support/certs.js";
import { startTestGateway, type TestGateway } from "../../support/test-gateway/index.js";

/** Each mTLS misconfiguration a user can make ends in a TlsError that says what is wrong. */
describe("mTLS failures", () => {
  let gateway: TestGateway;
  let otherCa: CertificateAuthority;
  const home = mkdtempSync(join(tmpdir(), "openshell-mtls-"));

  beforeAll(async () => {
    gateway = await startTestGateway();
    otherCa = await createCertificateAuthority("someone-else");
  });
  afterAll(async () => {
    await gateway.close();
  });

  function connect(tls: { ca: string; cert?: string; key?: string }) {
    return OpenShell.connect({ endpoint: gateway.endpoint, tls, env: {}, homeDir: home, retry: false });
  }

  it("works with the right CA and client certificate", async () => {
    const os = await connect({ ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key });
    expect((await os.health()).status).toBe("healthy");
    os.close();
  });

  it("refuses a gateway whose certificate the configured CA did not sign", async () => {
    const os = await connect({ ca: otherCa.cert, cert: gateway.client.cert, key: gateway.client.key });
    const err = await os.health().catch((e: unknown) => e);
    os.close();
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).message).toMatch(/not signed by the configured CA|not trusted/);
  });

  it("says a client certificate is required when none is sent", async () => {
    const os = await connect({ ca: gateway.ca });
    const err = await os.health().catch((e: unknown) => e);
    os.close();
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).message).toMatch(/requires a client certificate/);
  });

  it("says the client certificate has expired", async () => {
    const expired = await issueClientCertificate(gateway.certificateAuthority, {
      commonName: "expired-client",
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const os = await connect({ ca: gateway.ca, cert: expired.cert, key: expired.key });
    const err = await os.health().catch((e: unknown) => e);
    os.close();
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).message).toMatch(/expired/);
  });

  it("says the gateway does not trust a client certificate from another CA", async () => {
    const stranger = await issueClientCertificate(otherCa, { commonName: "stranger" });
    const os = await connect({ ca: gateway.ca, cert: stranger.cert, key: stranger.key });
    const err = await os.health().catch((e: unknown) => e);
    os.close();
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).message).toMatch(/client certificate/);
  });
});
