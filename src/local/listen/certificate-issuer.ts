import { webcrypto } from "node:crypto";
import type * as X509 from "@peculiar/x509";

/**
 * Minting X.509 certificates with @peculiar/x509 over Node's WebCrypto. The library (and the
 * `reflect-metadata` polyfill it needs) is loaded on first use: only a gateway that listens needs
 * certificates, and every other user of the SDK should not pay for loading them.
 */

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

/** ECDSA P-256: small keys, generation in milliseconds, and supported by every TLS stack that matters. */
const keyAlgorithm: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const signingAlgorithm: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const dayMs = 86_400_000;

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
  readonly certificate: X509.X509Certificate;
}

/** When a certificate is valid. Both dates in the past give an expired certificate (for tests). */
export interface CertificateValidity {
  /** Default: a day ago, so a client whose clock is a little behind still accepts it. */
  notBefore?: Date;
  /** Default: ten years from now for a CA, one year for the certificates it issues. */
  notAfter?: Date;
}

export interface IssueOptions extends CertificateValidity {
  commonName: string;
  /** The extended key usage: TLS servers and TLS clients each check for their own. */
  usage: "server" | "client";
  /** Subject alternative names: what a client checks the server's host against. */
  dnsNames?: readonly string[];
  ips?: readonly string[];
}

let loaded: Promise<typeof X509> | undefined;

function loadX509(): Promise<typeof X509> {
  loaded ??= (async () => {
    // The library's dependency injection reads decorator metadata, which needs this polyfill first.
    await import("reflect-metadata");
    const x509 = await import("@peculiar/x509");
    x509.cryptoProvider.set(webcrypto);
    return x509;
  })();
  return loaded;
}

function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"]);
}

async function privateKeyPem(x509: typeof X509, key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

/** A random positive serial: equal serials from one issuer name would make clients reject the later one. */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

/** A self-signed CA that may sign certificates (and nothing else), named `CN=<name>`. */
export async function createCertificateAuthority(
  name: string,
  validity: CertificateValidity = {},
): Promise<CertificateAuthority> {
  const x509 = await loadX509();
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name}`,
    notBefore: validity.notBefore ?? new Date(Date.now() - dayMs),
    notAfter: validity.notAfter ?? new Date(Date.now() + 3650 * dayMs),
    signingAlgorithm,
    keys,
    extensions: [
      // pathLen 0: a stolen CA key can sign leaf certificates but not another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    name,
    cert: certificate.toString("pem"),
    key: await privateKeyPem(x509, keys.privateKey),
    keys,
    certificate,
  };
}

/** A CA made earlier, from its PEM certificate and PKCS#8 key, ready to issue again. */
export async function importCertificateAuthority(cert: string, key: string): Promise<CertificateAuthority> {
  const x509 = await loadX509();
  const certificate = new x509.X509Certificate(cert);
  const privateKey = await webcrypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(key),
    keyAlgorithm,
    true,
    ["sign"],
  );
  const publicKey = await certificate.publicKey.export(keyAlgorithm, ["verify"], webcrypto);
  const name = certificate.subject.replace(/^CN=/, "");
  return { name, cert, key, keys: { privateKey, publicKey }, certificate };
}

/** A leaf certificate signed by `ca` for one TLS role, with a fresh key pair. */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: IssueOptions,
): Promise<CertificateAndKey> {
  const x509 = await loadX509();
  const keys = await newKeys();
  const names: X509.JsonGeneralNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const usage =
    options.usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([usage], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${options.commonName}`,
    issuer: ca.certificate.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - dayMs),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * dayMs),
    signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { cert: certificate.toString("pem"), key: await privateKeyPem(x509, keys.privateKey) };
}
