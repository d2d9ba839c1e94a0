import { webcrypto } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/**
 * Real X.509 material for tests that exercise TLS and mTLS end to end. ECDSA P-256 keeps generation
 * in the low milliseconds, so every test can mint its own CA instead of sharing fixtures on disk.
 */

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const keyAlgorithm: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const signingAlgorithm: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const day = 86_400_000;

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

/** A CA that can sign more certificates: its PEM pair plus the live keys to sign with. */
export interface CertificateAuthority extends CertificateAndKey {
  name: string;
  /** Kept so issuing does not have to re-import the PEM key. */
  readonly keys: CryptoKeyPair;
  readonly certificate: x509.X509Certificate;
}

export interface ServerCertificateOptions {
  dnsNames?: string[];
  ips?: string[];
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
}

export interface ClientCertificateOptions {
  commonName: string;
  /** Set both dates in the past to get an expired certificate. */
  notBefore?: Date;
  notAfter?: Date;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"]);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

/** Random positive serial: fixed serials would make two CAs in one test look like the same issuer. */
function serialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

/** A self-signed CA valid from yesterday (clock skew) for ten years. */
export async function createCertificateAuthority(name: string): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 3650 * day),
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    name,
    cert: certificate.toString("pem"),
    key: await privateKeyPem(keys.privateKey),
    keys,
    certificate,
  };
}

async function issue(
  ca: CertificateAuthority,
  subject: string,
  usage: x509.ExtendedKeyUsage,
  names: x509.JsonGeneralNames,
  notBefore: Date | undefined,
  notAfter: Date | undefined,
): Promise<CertificateAndKey> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([usage], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: ca.certificate.subject,
    notBefore: notBefore ?? new Date(Date.now() - day),
    notAfter: notAfter ?? new Date(Date.now() + 365 * day),
    signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { cert: certificate.toString("pem"), key: await privateKeyPem(keys.privateKey) };
}

/** A TLS server certificate; SANs are what clients verify, so list every host the test dials. */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  options: ServerCertificateOptions = {},
): Promise<CertificateAndKey> {
  const dnsNames = options.dnsNames ?? ["localhost"];
  const ips = options.ips ?? ["127.0.0.1", "::1"];
  const names: x509.JsonGeneralNames = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ips.map((value) => ({ type: "ip" as const, value })),
  ];
  return issue(
    ca,
    `CN=${options.commonName ?? dnsNames[0] ?? "openshell-test-gateway"}`,
    x509.ExtendedKeyUsage.serverAuth,
    names,
    options.notBefore,
    options.notAfter,
  );
}

/** A TLS client certificate for mTLS; dates are settable so tests can present an expired one. */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  options: ClientCertificateOptions,
): Promise<CertificateAndKey> {
  return issue(
    ca,
    `CN=${options.commonName}`,
    x509.ExtendedKeyUsage.clientAuth,
    [],
    options.notBefore,
    options.notAfter,
  );
}

export interface GatewayConfigFiles {
  endpoint: string;
  /** PEM contents, written to mtls/ca.crt, tls.crt and tls.key; omit all three for a plaintext gateway. */
  ca?: string;
  cert?: string;
  key?: string;
  /** metadata.json `auth_mode`; default "mtls". */
  authMode?: string;
  /** Extra metadata.json fields (edge_team_domain, oidc_issuer, ...), written as given. */
  extra?: Record<string, unknown>;
}

/**
 * Registers a gateway under `<root>/gateways/<name>/` exactly as the upstream CLI lays it out, so
 * discovery tests read files a real installation would have. Returns the gateway folder.
 */
export function writeGatewayConfig(root: string, name: string, files: GatewayConfigFiles): string {
  const dir = join(root, "gateways", name);
  mkdirSync(dir, { recursive: true });
  const port = Number(new URL(files.endpoint).port) || 17670;
  const metadata = {
    name,
    gateway_endpoint: files.endpoint,
    is_remote: false,
    gateway_port: port,
    auth_mode: files.authMode ?? "mtls",
    ...files.extra,
  };
  writeFileSync(join(dir, "metadata.json"), `${JSON.stringify(metadata, null, 2)}\n`);
  if (files.ca !== undefined || files.cert !== undefined || files.key !== undefined) {
    const mtls = join(dir, "mtls");
    mkdirSync(mtls, { recursive: true, mode: 0o700 });
    // mkdir's mode is masked by umask and ignored for an existing folder; the CLI's modes are exact.
    chmodSync(mtls, 0o700);
    if (files.ca !== undefined) writeFileSync(join(mtls, "ca.crt"), files.ca);
    if (files.cert !== undefined) writeFileSync(join(mtls, "tls.crt"), files.cert);
    if (files.key !== undefined) {
      writeFileSync(join(mtls, "tls.key"), files.key, { mode: 0o600 });
      chmodSync(join(mtls, "tls.key"), 0o600);
    }
  }
  return dir;
}

/** Writes `<root>/active_gateway`, the name discovery falls back to when nothing else is given. */
export function setActiveGateway(root: string, name: string): void {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "active_gateway"), `${name}\n`);
}
