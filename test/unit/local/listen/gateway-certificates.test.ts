import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createCertificateAuthority,
  issueCertificate,
} from "../../../../src/local/listen/certificate-issuer.js";
import {
  ensureGatewayCertificates,
  type GatewayCertificates,
} from "../../../../src/local/listen/gateway-certificates.js";

const dayMs = 86_400_000;
const fileNames = ["ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"];

let base: string;
let dir: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "openshell-certs-"));
  dir = join(base, "state", "tls");
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const mode = async (file: string) => (await stat(file)).mode & 0o777;

/** Writes a complete set whose server certificate expires `serverDays` from now. */
async function writeSet(target: string, serverDays: number): Promise<void> {
  const ca = await createCertificateAuthority("old-ca");
  const server = await issueCertificate(ca, {
    commonName: "localhost",
    usage: "server",
    dnsNames: ["localhost"],
    ips: ["127.0.0.1", "::1"],
    notAfter: new Date(Date.now() + serverDays * dayMs),
  });
  const client = await issueCertificate(ca, { commonName: "old-client", usage: "client" });
  await mkdir(target, { recursive: true, mode: 0o700 });
  const contents = [ca.cert, ca.key, server.cert, server.key, client.cert, client.key];
  for (const [i, name] of fileNames.entries()) {
    await writeFile(join(target, name), contents[i] ?? "", { mode: name.endsWith(".key") ? 0o600 : 0o644 });
  }
}

async function onDisk(): Promise<GatewayCertificates> {
  const read = (name: string) => readFile(join(dir, name), "utf8");
  return {
    ca: await read("ca.crt"),
    server: { cert: await read("server.crt"), key: await read("server.key") },
    client: { cert: await read("client.crt"), key: await read("client.key") },
  };
}

describe("ensureGatewayCertificates", () => {
  it("makes a CA, a loopback server certificate and a client certificate that work together", async () => {
    const certs = await ensureGatewayCertificates(dir);
    const ca = new X509Certificate(certs.ca);
    const server = new X509Certificate(certs.server.cert);
    const client = new X509Certificate(certs.client.cert);

    expect(ca.ca).toBe(true);
    for (const leaf of [server, client]) {
      expect(leaf.checkIssued(ca)).toBe(true);
      expect(leaf.verify(ca.publicKey)).toBe(true);
    }
    expect(server.checkHost("localhost")).toBe("localhost");
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkIP("::1")).toBe("::1");
    expect(server.checkHost("example.com")).toBeUndefined();
    expect(server.keyUsage).toContain("1.3.6.1.5.5.7.3.1"); // serverAuth
    expect(client.keyUsage).toContain("1.3.6.1.5.5.7.3.2"); // clientAuth
    for (const pair of [certs.server, certs.client]) {
      const key = createPrivateKey(pair.key);
      expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
      expect(new X509Certificate(pair.cert).checkPrivateKey(key)).toBe(true);
    }
    expect(Date.parse(server.validTo)).toBeGreaterThan(Date.now() + 300 * dayMs);
    expect(await onDisk()).toEqual(certs);
  });

  it("keeps the folder 0700, keys 0600 and certificates 0644, even in a folder that was 0755", async () => {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    await ensureGatewayCertificates(dir);
    expect(await mode(dir)).toBe(0o700);
    for (const name of ["ca.key", "server.key", "client.key"])
      expect(await mode(join(dir, name))).toBe(0o600);
    for (const name of ["ca.crt", "server.crt", "client.crt"])
      expect(await mode(join(dir, name))).toBe(0o644);
  });

  it("leaves no temporary files behind", async () => {
    await ensureGatewayCertificates(dir);
    expect((await readdir(dir)).sort()).toEqual([...fileNames].sort());
  });

  it("reuses a valid set instead of making a new one", async () => {
    const first = await ensureGatewayCertificates(dir);
    const second = await ensureGatewayCertificates(dir);
    expect(second).toEqual(first);
  });

  it("reuses a set with 8 days left but replaces one with 6 days left", async () => {
    await writeSet(dir, 8);
    const kept = await onDisk();
    expect(await ensureGatewayCertificates(dir)).toEqual(kept);

    await writeSet(dir, 6);
    const old = await onDisk();
    const renewed = await ensureGatewayCertificates(dir);
    expect(renewed.server.cert).not.toBe(old.server.cert);
    expect(renewed.ca).not.toBe(old.ca);
    expect(Date.parse(new X509Certificate(renewed.server.cert).validTo)).toBeGreaterThan(
      Date.now() + 300 * dayMs,
    );
    expect(await onDisk()).toEqual(renewed);
  });

  it("replaces an expired set", async () => {
    await writeSet(dir, -1);
    const old = await onDisk();
    const renewed = await ensureGatewayCertificates(dir);
    expect(renewed.server.cert).not.toBe(old.server.cert);
    expect(Date.parse(new X509Certificate(renewed.server.cert).validTo)).toBeGreaterThan(Date.now());
  });

  it.each([
    [
      "a corrupt certificate",
      "server.crt",
      "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    ],
    ["a corrupt key", "client.key", "garbage"],
    ["an empty CA", "ca.crt", ""],
  ])("replaces the set when it holds %s", async (_what, name, content) => {
    const first = await ensureGatewayCertificates(dir);
    await writeFile(join(dir, name), content);
    const second = await ensureGatewayCertificates(dir);
    expect(second.ca).not.toBe(first.ca);
    expect(new X509Certificate(second.server.cert).checkIssued(new X509Certificate(second.ca))).toBe(true);
    expect(await onDisk()).toEqual(second);
  });

  it("replaces the set when a file is missing", async () => {
    const first = await ensureGatewayCertificates(dir);
    await rm(join(dir, "ca.key"));
    const second = await ensureGatewayCertificates(dir);
    expect(second.ca).not.toBe(first.ca);
    expect(await mode(join(dir, "ca.key"))).toBe(0o600);
  });

  it("replaces the set when files come from two different sets (a crash mid-write)", async () => {
    const first = await ensureGatewayCertificates(dir);
    const other = join(base, "other");
    await writeSet(other, 365);
    await writeFile(join(dir, "server.crt"), await readFile(join(other, "server.crt")));
    await writeFile(join(dir, "server.key"), await readFile(join(other, "server.key")));
    const second = await ensureGatewayCertificates(dir);
    expect(second.ca).not.toBe(first.ca);
    expect(new X509Certificate(second.server.cert).checkIssued(new X509Certificate(second.ca))).toBe(true);
  });

  it("replaces the set when a key has become readable by others", async () => {
    const first = await ensureGatewayCertificates(dir);
    await chmod(join(dir, "server.key"), 0o644);
    const second = await ensureGatewayCertificates(dir);
    expect(second.server.key).not.toBe(first.server.key);
    expect(await mode(join(dir, "server.key"))).toBe(0o600);
  });
});
