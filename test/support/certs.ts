import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CertificateAndKey,
  type CertificateAuthority,
  createCertificateAuthority,
  issueCertificate,
} from "../../src/local/listen/certificate-issuer.js";

/**
 * Real X.509 material for tests that exercise TLS and mTLS end to end, minted by the same code the
 * local gateway uses. ECDSA P-256 keeps generation in the low milliseconds, so every test can mint
 * its own CA instead of sharing fixtures on disk.
 */

export type { CertificateAndKey, CertificateAuthority };
export { createCertificateAuthority };

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

/** A TLS server certificate; SANs are what clients verify, so list every host the test dials. */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  options: ServerCertificateOptions = {},
): Promise<CertificateAndKey> {
  const dnsNames = options.dnsNames ?? ["localhost"];
  return issueCertificate(ca, {
    commonName: options.commonName ?? dnsNames[0] ?? "openshell-test-gateway",
    usage: "server",
    dnsNames,
    ips: options.ips ?? ["127.0.0.1", "::1"],
    notBefore: options.notBefore,
    notAfter: options.notAfter,
  });
}

/** A TLS client certificate for mTLS; dates are settable so tests can present an expired one. */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  options: ClientCertificateOptions,
): Promise<CertificateAndKey> {
  return issueCertificate(ca, { usage: "client", ...options });
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
