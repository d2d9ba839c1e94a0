import { Agent as HttpsAgent } from "node:https";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";

/**
 * How the egress proxy checks the upstreams it reaches over TLS for a sandbox whose TLS it
 * terminated: strictly (chain and host name), against Node's bundled roots plus the CAs the
 * embedder added, since the sandbox can no longer check the upstream's certificate itself.
 */

/** Errors Node's TLS gives when an upstream's certificate does not check out. */
const untrustedCodes = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * The line a sandbox is answered with (502) when `target`'s certificate failed the check, or
 * undefined when `error` is another failure.
 */
export function untrustedUpstream(target: string, error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !untrustedCodes.has(code)) return undefined;
  return (
    `the certificate of ${target} is not trusted by the gateway (${code}), so the connection was not made: ` +
    "if the host is signed by a private CA, give its PEM to OpenShell.local({ egressTrustedCertificates: [...] }); " +
    'to pass the sandbox\'s own TLS through unread instead, set tls: "skip" on its endpoint'
  );
}

/**
 * The TLS context upstream connections are made with: certificates checked against Node's roots
 * plus `extra` (PEM). Made once: building it parses every root, and handing the list itself to
 * an agent would also copy it into the pool key of every request.
 */
export function upstreamTlsContext(extra: readonly string[] = []): SecureContext {
  return createSecureContext({ ca: [...rootCertificates, ...extra] });
}

/** A keep-alive pool for TLS upstreams made with `secureContext` (certificates checked). */
export function upstreamTlsAgent(secureContext: SecureContext): HttpsAgent {
  return new HttpsAgent({
    keepAlive: true,
    maxFreeSockets: 64,
    scheduling: "lifo",
    secureContext,
    rejectUnauthorized: true,
  });
}
