import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer } from "node:tls";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  type CertificateAndKey,
  type CertificateAuthority,
  createCertificateAuthority,
  importCertificateAuthority,
  issueCertificate,
} from "../../../../src/local/listen/certificate-issuer.js";

const fixtures = fileURLToPath(new URL("../../../fixtures/certificates/", import.meta.url));
const dayMs = 86_400_000;

/** openssl's own view of a certificate, as text. */
async function opensslText(pem: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "openshell-issuer-"));
  try {
    await writeFile(join(dir, "c.pem"), pem);
    const { stdout } = await promisify(execFile)("openssl", [
      "x509",
      "-in",
      join(dir, "c.pem"),
      "-noout",
      "-text",
    ]);
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `openssl verify` of a leaf against a CA for a purpose: its output, ending `OK` or `refused`. */
async function opensslVerify(ca: string, leaf: string, purpose: "sslserver" | "sslclient"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "openshell-issuer-"));
  try {
    await writeFile(join(dir, "ca.pem"), ca);
    await writeFile(join(dir, "leaf.pem"), leaf);
    // openssl says why it refuses and exits non-zero: both are the answer here.
    const result = await promisify(execFile)("openssl", [
      "verify",
      "-purpose",
      purpose,
      "-CAfile",
      join(dir, "ca.pem"),
      join(dir, "leaf.pem"),
    ]).catch((error: { stdout?: string; stderr?: string }) => ({
      stdout: `${error.stdout ?? ""}${error.stderr ?? ""}refused`,
    }));
    return result.stdout.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A real TLS handshake: a server with `server`, a client trusting only `ca`, dialling `host`. */
async function handshake(ca: string, server: CertificateAndKey, host: string): Promise<string> {
  const listener = createServer({ cert: server.cert, key: server.key }, (socket) => socket.end("hello"));
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  try {
    const { port } = listener.address() as AddressInfo;
    const socket = connect({
      host: "127.0.0.1",
      port,
      ca,
      servername: host === "127.0.0.1" ? undefined : host,
    });
    socket.setEncoding("utf8");
    let text = "";
    socket.on("data", (s: string) => {
      text += s;
    });
    await once(socket, "end");
    return text;
  } finally {
    listener.close();
  }
}

describe("certificate issuer", () => {
  it("makes a self-signed CA that may sign certificates and nothing else", async () => {
    const ca = await createCertificateAuthority("test-ca");
    const cert = new X509Certificate(ca.cert);
    expect(cert.subject).toBe("CN=test-ca");
    expect(cert.issuer).toBe("CN=test-ca");
    expect(cert.ca).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(ca.keys.privateKey)).toBe(true);
    expect(ca.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----$/);
    const text = await opensslText(ca.cert);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain("ecdsa-with-SHA256");
    expect(text).toContain("NIST CURVE: P-256");
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(3600 * dayMs);
  });

  it("issues a server certificate for its names and addresses that openssl and a TLS client accept", async () => {
    const ca = await createCertificateAuthority("test-ca");
    const server = await issueCertificate(ca, {
      commonName: "localhost",
      usage: "server",
      dnsNames: ["localhost", "inference.local"],
      ips: ["127.0.0.1", "::1", "fd00:0:0::a"],
    });
    const cert = new X509Certificate(server.cert);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(new X509Certificate(ca.cert))).toBe(true);
    expect(cert.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(
      "DNS:localhost, DNS:inference.local, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:0:A",
    );
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.checkHost("inference.local")).toBe("inference.local");
    expect(cert.checkIP("::1")).toBe("::1");
    expect(await opensslVerify(ca.cert, server.cert, "sslserver")).toMatch(/: OK$/);
    const text = await opensslText(server.cert);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Agreement/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(await handshake(ca.cert, server, "inference.local")).toBe("hello");
    expect(await handshake(ca.cert, server, "127.0.0.1")).toBe("hello");
  });

  it("issues client certificates for client authentication only", async () => {
    const ca = await createCertificateAuthority("test-ca");
    const client = await issueCertificate(ca, { commonName: "a-client", usage: "client" });
    const cert = new X509Certificate(client.cert);
    expect(cert.subject).toBe("CN=a-client");
    expect(cert.issuer).toBe("CN=test-ca");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(cert.subjectAltName).toBeUndefined();
    expect(await opensslVerify(ca.cert, client.cert, "sslclient")).toMatch(/: OK$/);
    expect(await opensslVerify(ca.cert, client.cert, "sslserver")).toMatch(
      /unsuitable certificate purpose[\s\S]*refused$/,
    );
  });

  it("gives the dates asked for, so an expired certificate can be made", async () => {
    const ca = await createCertificateAuthority("test-ca");
    const notBefore = new Date("2020-01-02T03:04:05Z");
    const notAfter = new Date("2060-06-07T08:09:10Z");
    const leaf = new X509Certificate(
      (await issueCertificate(ca, { commonName: "x", usage: "server", notBefore, notAfter })).cert,
    );
    expect(new Date(leaf.validFrom).toISOString()).toBe(notBefore.toISOString());
    // After 2049 RFC 5280 wants GeneralizedTime: the year is read back whole.
    expect(new Date(leaf.validTo).toISOString()).toBe(notAfter.toISOString());
  });

  it("gives every certificate its own positive serial", async () => {
    const ca = await createCertificateAuthority("test-ca");
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const leaf = new X509Certificate(
        (await issueCertificate(ca, { commonName: "x", usage: "client" })).cert,
      );
      expect(Number.parseInt(leaf.serialNumber.slice(0, 1), 16)).toBeLessThan(8);
      serials.add(leaf.serialNumber);
    }
    expect(serials.size).toBe(20);
  });

  it("issues again from a CA read back from its PEM files", async () => {
    const made = await createCertificateAuthority("kept-ca");
    const ca = await importCertificateAuthority(made.cert, made.key);
    expect(ca.name).toBe("kept-ca");
    const server = await issueCertificate(ca, { commonName: "h", usage: "server", dnsNames: ["h.test"] });
    expect(await opensslVerify(made.cert, server.cert, "sslserver")).toMatch(/: OK$/);
    expect(await handshake(made.cert, server, "h.test")).toBe("hello");
  });

  it("issues from a CA an earlier version made with @peculiar/x509 (state directories keep theirs)", async () => {
    const cert = await readFile(join(fixtures, "peculiar-ca.crt"), "utf8");
    const key = await readFile(join(fixtures, "peculiar-ca.key"), "utf8");
    const ca: CertificateAuthority = await importCertificateAuthority(cert, key);
    expect(ca.name).toBe("openshell-local-egress-ca");
    const server = await issueCertificate(ca, {
      commonName: "api.test",
      usage: "server",
      dnsNames: ["api.test"],
    });
    const leaf = new X509Certificate(server.cert);
    // The issuer is the CA's subject byte for byte, and the key identifiers chain as the CA wrote its own.
    expect(leaf.checkIssued(new X509Certificate(cert))).toBe(true);
    const text = await opensslText(server.cert);
    const caText = await opensslText(cert);
    const caKeyId = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(caText)?.[1];
    expect(caKeyId).toBeDefined();
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${caKeyId}`));
    expect(await opensslVerify(cert, server.cert, "sslserver")).toMatch(/: OK$/);
    expect(await handshake(cert, server, "api.test")).toBe("hello");
  });

  it("refuses a CA whose key is not its certificate's", async () => {
    const a = await createCertificateAuthority("a");
    const b = await createCertificateAuthority("b");
    await expect(importCertificateAuthority(a.cert, b.key)).rejects.toThrow(/does not match/);
  });
});
