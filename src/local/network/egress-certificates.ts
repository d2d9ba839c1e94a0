import { X509Certificate } from "node:crypto";
import { chmod, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  type CertificateAndKey,
  type CertificateAuthority,
  createCertificateAuthority,
  importCertificateAuthority,
  issueCertificate,
} from "../listen/certificate-issuer.js";
import {
  ensurePrivateDir,
  privateFileMode,
  publicFileMode,
  readableByOthers,
  writeFileAtomic,
} from "../listen/private-files.js";
import { STATE_ENTRIES } from "../state/state-dir.js";
import { SandboxTrustBundles } from "./sandbox-trust-bundles.js";

/**
 * Where sandboxes find the gateway's egress CA as `ca.crt` (and `ca-bundle.crt`, this host's roots
 * plus the CA): a read-only mount of {@link EgressTls.publicDir}. Sandboxes made before the per-image
 * bundles (/etc/openshell-tls, see sandbox-trust-bundles.ts) name these files in their environment,
 * so they are still written and mounted.
 */
export const SANDBOX_TLS_DIR = "/etc/openshell/tls";

/**
 * The CA the gateway signs `inference.local` with, and the certificates its egress proxy presents
 * when it terminates a sandbox's TLS; and what sandboxes need to trust it.
 */
export interface EgressTls {
  /** The CA with its key, for the egress proxy to issue per-host certificates with. */
  ca: CertificateAuthority;
  /** Certificate and key that the proxy answers a CONNECT to inference.local with. */
  inference: CertificateAndKey;
  /** The CA certificate (PEM). */
  caCert: string;
  /** Host folder holding `ca.crt` and `ca-bundle.crt` (this host's roots plus the CA), mounted into sandboxes. */
  publicDir: string;
  /** This host's CA bundle (PEM), when it has one where Linux distributions keep it. */
  systemRoots: string | undefined;
  /** The per-image trust folders sandboxes mount at /etc/openshell-tls, made again with this CA. */
  trustBundles: SandboxTrustBundles;
}

/** Where Linux distributions keep their CA bundle (Debian, Fedora/RHEL, Alpine/Arch). */
const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
];

/** A CA is made anew when it has less than this left; it is valid for 10 years. */
const minRemainingMs = 30 * 86_400_000;

/**
 * The egress CA of a state directory: made once (ECDSA P-256, key 0600) and kept, because running
 * sandboxes trust it through their mount; a fresh `inference.local` certificate is signed at every
 * start. The mounted folders (this one, and every per-image trust folder, made again with the CA
 * kept or made now) are replaced file by file, never the folder itself, so a running sandbox's bind
 * mount sees new files.
 */
export async function ensureEgressTls(stateDir: string): Promise<EgressTls> {
  const dir = path.join(stateDir, STATE_ENTRIES.egressTls);
  await ensurePrivateDir(dir);
  const publicDir = path.join(dir, "public");
  await mkdir(publicDir, { recursive: true, mode: 0o755 });
  // Sandboxes run as any user: the folder and its files must be readable to them.
  await chmod(publicDir, 0o755);

  const ca = (await readCa(dir)) ?? (await newCa(dir));
  const inference = await issueCertificate(ca, {
    commonName: "inference.local",
    usage: "server",
    dnsNames: ["inference.local"],
  });
  const systemRoots = await readSystemBundle();
  const bundle = `${systemRoots ?? ""}${systemRoots?.endsWith("\n") === false ? "\n" : ""}${ca.cert}`;
  await writeFileAtomic(path.join(publicDir, "ca.crt"), ca.cert, publicFileMode);
  await writeFileAtomic(path.join(publicDir, "ca-bundle.crt"), bundle, publicFileMode);
  const trustBundles = new SandboxTrustBundles(path.join(dir, "bundles"), ca.cert, systemRoots);
  await trustBundles.refresh();
  return { ca, inference, caCert: ca.cert, publicDir, systemRoots, trustBundles };
}

type Ca = CertificateAuthority;

async function newCa(dir: string): Promise<Ca> {
  const ca = await createCertificateAuthority("openshell-local-egress-ca");
  await writeFileAtomic(path.join(dir, "ca.key"), ca.key, privateFileMode);
  await writeFileAtomic(path.join(dir, "ca.crt"), ca.cert, publicFileMode);
  return ca;
}

/** The stored CA when it is whole, private and not about to expire; undefined otherwise. */
async function readCa(dir: string): Promise<Ca | undefined> {
  try {
    const [cert, key] = await Promise.all([
      readFile(path.join(dir, "ca.crt"), "utf8"),
      readFile(path.join(dir, "ca.key"), "utf8"),
    ]);
    if (await readableByOthers(path.join(dir, "ca.key"))) return undefined;
    const parsed = new X509Certificate(cert);
    if (!(Date.parse(parsed.validTo) > Date.now() + minRemainingMs)) return undefined;
    return await importCertificateAuthority(cert, key);
  } catch {
    return undefined;
  }
}

async function readSystemBundle(): Promise<string | undefined> {
  for (const file of SYSTEM_BUNDLES) {
    try {
      const text = await readFile(file, "utf8");
      if (text.includes("BEGIN CERTIFICATE")) return text;
    } catch {
      // Not this distribution's path.
    }
  }
  return undefined;
}
