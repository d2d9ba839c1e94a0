import { isIP } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import { type CertificateAuthority, issueCertificate } from "../listen/certificate-issuer.js";

/** How many hosts' certificates are kept; a sandbox rarely talks to more, and each costs ~2 KiB. */
const DEFAULT_LIMIT = 512;

/**
 * The certificates the egress proxy presents when it terminates a sandbox's TLS: one per host name
 * (or IP address), issued by the gateway's egress CA on first use and kept, least recently used
 * dropped first beyond a bound. A host asked for twice at once is issued once.
 */
export class LeafCertificates {
  private readonly cache = new Map<string, Promise<SecureContext>>();

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly limit = DEFAULT_LIMIT,
  ) {}

  /** The TLS context presenting a certificate for `host` (lower-case name or IP literal). */
  context(host: string): Promise<SecureContext> {
    const known = this.cache.get(host);
    if (known !== undefined) {
      // Most recently used goes last, so the first entry is the one to drop.
      this.cache.delete(host);
      this.cache.set(host, known);
      return known;
    }
    const made = this.issue(host);
    this.cache.set(host, made);
    // A failed issue is not kept: the next connection tries again.
    made.catch(() => {
      if (this.cache.get(host) === made) this.cache.delete(host);
    });
    while (this.cache.size > this.limit) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    return made;
  }

  /** How many hosts have a certificate kept. */
  get size(): number {
    return this.cache.size;
  }

  private async issue(host: string): Promise<SecureContext> {
    const ip = isIP(host) !== 0;
    const leaf = await issueCertificate(this.ca, {
      commonName: host.slice(0, 64),
      usage: "server",
      ...(ip ? { ips: [host] } : { dnsNames: [host] }),
    });
    return createSecureContext({ key: leaf.key, cert: `${leaf.cert}\n${this.ca.cert}` });
  }
}
