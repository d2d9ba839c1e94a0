import {
  createHash,
  createPrivateKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { promisify } from "node:util";
import {
  booleanTrue,
  children,
  type DerElement,
  der,
  directoryString,
  integer,
  namedBits,
  octetString,
  oid,
  readElement,
  sequence,
  set,
  time,
} from "./der.js";

/**
 * Minting X.509 certificates with Node's crypto: keys, signatures and parsing are Node's, and the
 * certificate's DER is written here (der.ts). Every local gateway mints some (its egress CA's
 * `inference.local` certificate at each start, one per host its proxy terminates TLS for), and an
 * X.509 library for that held about 10 MiB of the process's memory for its life.
 */

/** ECDSA P-256: small keys, generation in milliseconds, and supported by every TLS stack that matters. */
const CURVE = "prime256v1";
const dayMs = 86_400_000;

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extendedKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

/** KeyUsage bits (RFC 5280 4.2.1.3). */
const USAGE = { digitalSignature: 0, keyAgreement: 4, keyCertSign: 5, cRLSign: 6 };

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

/** A CA that can sign more certificates: its PEM pair plus the live keys to sign with. */
export interface CertificateAuthority extends CertificateAndKey {
  name: string;
  /** Kept so issuing does not have to re-import the PEM key. */
  readonly keys: { privateKey: KeyObject; publicKey: KeyObject };
  readonly certificate: X509Certificate;
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

const generateEcKeys = promisify(generateKeyPair);

function newKeys(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return generateEcKeys("ec", { namedCurve: CURVE });
}

/** A random positive serial of 126 bits: equal serials from one issuer would make clients reject the later one. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  // 01xxxxxx: positive, and DER's minimal form without a leading zero byte.
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return integer(bytes);
}

/** `CN=<name>` as a Name (one RDN). */
function commonNameOf(name: string): Buffer {
  return sequence(set(sequence(oid(OID.commonName), directoryString(name))));
}

/** The key's SubjectPublicKeyInfo (DER) and the SHA-1 of its key bits (RFC 5280's key identifier, method 1). */
function publicKeyInfo(key: KeyObject): { spki: Buffer; keyId: Buffer } {
  const spki = key.export({ type: "spki", format: "der" });
  const [, bits] = children(readElement(spki));
  if (bits === undefined || bits.tag !== 0x03) throw new Error("SubjectPublicKeyInfo without its key bits");
  return { spki, keyId: createHash("sha1").update(bits.contents.subarray(1)).digest() };
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [booleanTrue()] : []), octetString(value));
}

/** An IP address's bytes for a SAN entry (4 for IPv4, 16 for IPv6). */
function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split(".").map((part) => Number.parseInt(part, 10)));
  if (!isIPv6(ip) || ip.includes(".")) throw new Error(`not an IP address a certificate can name: ${ip}`);
  const [head = "", tail] = ip.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const middle = Array.from({ length: 8 - front.length - back.length }, () => "0");
  const out = Buffer.alloc(16);
  for (const [i, group] of [...front, ...middle, ...back].entries()) {
    out.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  }
  return out;
}

/** Signs a TBSCertificate with ECDSA SHA-256 and wraps it as a PEM certificate. */
function signedPem(tbs: Buffer, signingKey: KeyObject): string {
  const signature = sign("sha256", tbs, signingKey); // DER ECDSA-Sig-Value, Node's default
  const certificate = sequence(
    tbs,
    sequence(oid(OID.ecdsaWithSha256)),
    der(0x03, Buffer.from([0]), signature),
  );
  const lines = certificate.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----`;
}

function tbsCertificate(fields: {
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: Buffer[];
}): Buffer {
  return sequence(
    der(0xa0, integer(Buffer.from([2]))), // v3
    serialNumber(),
    sequence(oid(OID.ecdsaWithSha256)),
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.spki,
    der(0xa3, sequence(...fields.extensions)),
  );
}

/** The PKCS#8 PEM of a private key. */
function privateKeyPem(key: KeyObject): string {
  return (key.export({ type: "pkcs8", format: "pem" }) as string).trimEnd();
}

/** A self-signed CA that may sign certificates (and nothing else), named `CN=<name>`. */
export async function createCertificateAuthority(
  name: string,
  validity: CertificateValidity = {},
): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const { spki, keyId } = publicKeyInfo(keys.publicKey);
  const subject = commonNameOf(name);
  const cert = signedPem(
    tbsCertificate({
      issuer: subject,
      subject,
      notBefore: validity.notBefore ?? new Date(Date.now() - dayMs),
      notAfter: validity.notAfter ?? new Date(Date.now() + 3650 * dayMs),
      spki,
      extensions: [
        // pathLen 0: a stolen CA key can sign leaf certificates but not another CA.
        extension(OID.basicConstraints, true, sequence(booleanTrue(), integer(Buffer.from([0])))),
        extension(OID.keyUsage, true, namedBits([USAGE.keyCertSign, USAGE.cRLSign])),
        extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
      ],
    }),
    keys.privateKey,
  );
  return { name, cert, key: privateKeyPem(keys.privateKey), keys, certificate: new X509Certificate(cert) };
}

/** A CA made earlier, from its PEM certificate and PKCS#8 key, ready to issue again. */
export async function importCertificateAuthority(cert: string, key: string): Promise<CertificateAuthority> {
  const certificate = new X509Certificate(cert);
  const privateKey = createPrivateKey(key);
  if (!certificate.checkPrivateKey(privateKey))
    throw new Error("the CA's key does not match its certificate");
  const name = certificate.subject.replace(/^CN=/, "");
  return { name, cert, key, keys: { privateKey, publicKey: certificate.publicKey }, certificate };
}

/**
 * The CA's subject as its certificate encodes it (a leaf's issuer must be those very bytes: some
 * TLS stacks compare names byte for byte) and its subject key identifier, which a leaf's authority
 * key identifier must repeat (a CA made by an earlier version may have its own way of computing it).
 */
function issuerOf(ca: CertificateAuthority): { subject: Buffer; keyId: Buffer } {
  const [tbs] = children(readElement(ca.certificate.raw));
  if (tbs === undefined) throw new Error("the CA certificate has no TBSCertificate");
  const fields = children(tbs);
  // version [0] is present in every v3 certificate: serial, signature, issuer, validity, subject.
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (subject === undefined) throw new Error("the CA certificate has no subject");
  return { subject: subject.whole, keyId: subjectKeyId(fields) ?? publicKeyInfo(ca.keys.publicKey).keyId };
}

function subjectKeyId(fields: DerElement[]): Buffer | undefined {
  const extensions = fields.find((field) => field.tag === 0xa3);
  const list = extensions === undefined ? undefined : children(extensions)[0];
  if (list === undefined) return undefined;
  const wanted = oid(OID.subjectKeyIdentifier);
  for (const ext of children(list)) {
    const parts = children(ext);
    if (!parts[0]?.whole.equals(wanted)) continue;
    const value = parts[parts.length - 1];
    return value === undefined ? undefined : readElement(value.contents).contents;
  }
  return undefined;
}

/** A leaf certificate signed by `ca` for one TLS role, with a fresh key pair. */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: IssueOptions,
): Promise<CertificateAndKey> {
  const keys = await newKeys();
  const { spki, keyId } = publicKeyInfo(keys.publicKey);
  const issuer = issuerOf(ca);
  const names = [
    ...(options.dnsNames ?? []).map((name) => der(0x82, Buffer.from(name, "latin1"))),
    ...(options.ips ?? []).map((ip) => der(0x87, ipBytes(ip))),
  ];
  const extensions = [
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, namedBits([USAGE.digitalSignature, USAGE.keyAgreement])),
    extension(
      OID.extendedKeyUsage,
      false,
      sequence(oid(options.usage === "server" ? OID.serverAuth : OID.clientAuth)),
    ),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
    extension(OID.authorityKeyIdentifier, false, sequence(der(0x80, issuer.keyId))),
  ];
  if (names.length > 0) extensions.push(extension(OID.subjectAltName, false, sequence(...names)));
  const cert = signedPem(
    tbsCertificate({
      issuer: issuer.subject,
      subject: commonNameOf(options.commonName),
      notBefore: options.notBefore ?? new Date(Date.now() - dayMs),
      notAfter: options.notAfter ?? new Date(Date.now() + 365 * dayMs),
      spki,
      extensions,
    }),
    ca.keys.privateKey,
  );
  return { cert, key: privateKeyPem(keys.privateKey) };
}
