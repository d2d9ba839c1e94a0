import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  issueCertificate,
} from "./certificate-issuer.js";
import {
  ensurePrivateDir,
  privateFileMode,
  publicFileMode,
  readableByOthers,
  writeFileAtomic,
} from "./private-files.js";

/** The mTLS material of a local gateway, all PEM. */
export interface GatewayCertificates {
  /** The CA certificate: clients verify the server with it, and the server verifies clients with it. */
  ca: string;
  /** The listener's own certificate, for `localhost`, `127.0.0.1` and `::1`. */
  server: CertificateAndKey;
  /** What clients present; registration stores it as the gateway's `mtls/tls.crt` and `tls.key`. */
  client: CertificateAndKey;
}

/** Hosts the server certificate names: every way a local client may dial a loopback listener. */
export const serverDnsNames: readonly string[] = ["localhost"];
export const serverIps: readonly string[] = ["127.0.0.1", "::1"];

/**
 * Certificates closer than this to expiry are replaced at start: a gateway that runs for days must
 * not stop accepting clients halfway through.
 */
export const minRemainingValidityMs = 7 * 86_400_000;

const files = {
  caCert: "ca.crt",
  caKey: "ca.key",
  serverCert: "server.crt",
  serverKey: "server.key",
  clientCert: "client.crt",
  clientKey: "client.key",
} as const;

type FileContents = Record<keyof typeof files, string>;
const keyFiles: readonly string[] = [files.caKey, files.serverKey, files.clientKey];

/**
 * The local gateway's CA, server and client certificates (ECDSA P-256) in `dir`: reused when all six
 * files are present, belong together and stay valid for at least 7 more days, else made anew as a
 * set. `dir` becomes 0700 and key files 0600.
 *
 * The whole set is replaced rather than only the expiring part because registration rewrites every
 * client's copy of the CA and client certificate at each start, so keeping an old CA buys nothing.
 * Two processes must not call this on one folder at the same time: each would write its own set.
 */
export async function ensureGatewayCertificates(dir: string): Promise<GatewayCertificates> {
  await ensurePrivateDir(dir);
  const existing = await readExisting(dir);
  if (existing !== undefined && belongTogether(existing, Date.now())) return toCertificates(existing);

  const ca = await createCertificateAuthority("openshell-local-gateway-ca");
  const [server, client] = await Promise.all([
    issueCertificate(ca, {
      commonName: "localhost",
      usage: "server",
      dnsNames: serverDnsNames,
      ips: serverIps,
    }),
    issueCertificate(ca, { commonName: "openshell-local-client", usage: "client" }),
  ]);
  const fresh: FileContents = {
    caCert: ca.cert,
    caKey: ca.key,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
  };
  for (const item of Object.keys(files) as (keyof typeof files)[]) {
    const file = files[item];
    await writeFileAtomic(
      path.join(dir, file),
      fresh[item],
      keyFiles.includes(file) ? privateFileMode : publicFileMode,
    );
  }
  return toCertificates(fresh);
}

function toCertificates(c: FileContents): GatewayCertificates {
  return {
    ca: c.caCert,
    server: { cert: c.serverCert, key: c.serverKey },
    client: { cert: c.clientCert, key: c.clientKey },
  };
}

/**
 * All six files, or undefined when one is missing or unreadable, or a key is readable by others (it
 * may have been copied, so it is not worth keeping).
 */
async function readExisting(dir: string): Promise<FileContents | undefined> {
  try {
    const entries = await Promise.all(
      (Object.keys(files) as (keyof typeof files)[]).map(
        async (item) => [item, await readFile(path.join(dir, files[item]), "utf8")] as const,
      ),
    );
    for (const file of keyFiles) {
      if (await readableByOthers(path.join(dir, file))) return undefined;
    }
    return Object.fromEntries(entries) as FileContents;
  } catch {
    return undefined;
  }
}

/**
 * Whether the files form one working set: each certificate parses and is valid from now until at
 * least {@link minRemainingValidityMs} from now, each key matches its certificate, both leaves are
 * signed by the CA, and the server certificate names every loopback host. A crash halfway through
 * writing a new set leaves files from two sets, which this rejects.
 */
function belongTogether(c: FileContents, nowMs: number): boolean {
  try {
    const ca = new X509Certificate(c.caCert);
    const server = new X509Certificate(c.serverCert);
    const client = new X509Certificate(c.clientCert);
    const pairs: [X509Certificate, string][] = [
      [ca, c.caKey],
      [server, c.serverKey],
      [client, c.clientKey],
    ];
    for (const [cert, key] of pairs) {
      // Written as negations so that an unparseable date (NaN) also fails.
      if (!(Date.parse(cert.validFrom) <= nowMs)) return false;
      if (!(Date.parse(cert.validTo) >= nowMs + minRemainingValidityMs)) return false;
      if (!cert.checkPrivateKey(createPrivateKey(key))) return false;
    }
    return (
      ca.ca &&
      [server, client].every((leaf) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey)) &&
      serverDnsNames.every((name) => server.checkHost(name) !== undefined) &&
      serverIps.every((ip) => server.checkIP(ip) !== undefined)
    );
  } catch {
    // Unparseable PEM or key: not reusable.
    return false;
  }
}
