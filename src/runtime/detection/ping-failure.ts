import { TimeoutError, TlsError, UnavailableError } from "../../errors.js";
import { describeEndpoint, type EngineEndpoint } from "../engine-endpoint.js";

/** What the ping saw of the connection when it failed. */
export interface PingFailureContext {
  /** The TLS handshake finished before the failure. */
  handshakeDone: boolean;
}

/** Problems with the engine's certificate, as seen by this client. */
const serverCertProblems: Record<string, (caFile: string) => string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: (ca) => `the engine's certificate is not signed by ${ca}`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: (ca) => `the engine's certificate is not signed by ${ca}`,
  UNABLE_TO_GET_ISSUER_CERT: (ca) => `the engine's certificate is not signed by ${ca}`,
  SELF_SIGNED_CERT_IN_CHAIN: (ca) => `the engine's certificate chain ends in a CA other than ${ca}`,
  DEPTH_ZERO_SELF_SIGNED_CERT: (ca) => `the engine's certificate is self-signed and not ${ca}`,
  CERT_HAS_EXPIRED: () => "the engine's certificate has expired",
  CERT_NOT_YET_VALID: () => "the engine's certificate is not valid yet; check the clocks",
  ERR_TLS_CERT_ALTNAME_INVALID: () => "the engine's certificate does not name this host",
};

/** Alerts an engine (Go's crypto/tls for dockerd) sends when it refuses the client certificate. */
const clientCertAlerts: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: "the engine wants a client certificate and got none",
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: "the engine refused the client certificate",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: "the engine refused the client certificate",
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: "the engine does not trust the CA that issued the client certificate",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: "the engine refused the client certificate: it has expired",
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: "the client certificate and key do not match",
};

const notTls = new Set(["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG"]);

function errorCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** OpenSSL's own words from an EPROTO message (`...:SSL routines:ssl3_get_record:wrong version number:...`). */
function opensslReason(err: unknown): string | undefined {
  const message = (err as Error | undefined)?.message ?? "";
  return /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
}

function tlsFailure(endpoint: EngineEndpoint, err: unknown, ctx: PingFailureContext): TlsError | undefined {
  if (endpoint.kind !== "tcp" || endpoint.tls === undefined) return undefined;
  const { tls } = endpoint;
  const code = errorCode(err) ?? "";
  const where = describeEndpoint(endpoint);
  const fail = (what: string) =>
    new TlsError(`${where}: TLS handshake failed: ${what} [${code}]`, { cause: err });
  const serverProblem = serverCertProblems[code];
  if (serverProblem) return fail(`${serverProblem(tls.caFile)}`);
  const alert = clientCertAlerts[code];
  if (alert) return fail(`${alert} (${tls.certFile}); it must be issued by a CA the engine trusts`);
  const sslReason = opensslReason(err);
  if (
    notTls.has(code) ||
    (sslReason !== undefined && /wrong version number|packet length too long/.test(sslReason))
  ) {
    return fail(
      "the endpoint does not speak TLS; unset DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for a plain tcp:// engine",
    );
  }
  if (code === "EPROTO" && sslReason !== undefined) return fail(sslReason);
  if (code.startsWith("ERR_OSSL") || code.startsWith("ERR_SSL")) {
    return fail(`cannot use ${tls.certFile} / ${tls.keyFile}: ${(err as Error).message}`);
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    // A TLS server that rejects a client certificate may drop the connection without an alert (node
    // does); right after a finished handshake that is by far the likeliest reason.
    return ctx.handshakeDone
      ? new TlsError(
          `${where}: the engine closed the TLS connection right after the handshake: it most likely refused ` +
            `the client certificate (${tls.certFile}); check that it was issued by a CA the engine trusts`,
          { cause: err },
        )
      : new TlsError(`${where}: the TLS handshake was cut off (${code}); is this a TLS port?`, {
          cause: err,
        });
  }
  return undefined;
}

/** Turns a failed `GET /_ping` into an error whose message says what is wrong and where. */
export function pingFailure(
  endpoint: EngineEndpoint,
  err: unknown,
  ctx: PingFailureContext,
): TlsError | UnavailableError | TimeoutError {
  if (err instanceof TimeoutError || err instanceof TlsError || err instanceof UnavailableError) return err;
  const tls = tlsFailure(endpoint, err, ctx);
  if (tls) return tls;
  const where = describeEndpoint(endpoint);
  const code = errorCode(err);
  const target = endpoint.kind === "unix" ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
  const because = (what: string) => new UnavailableError(`${where}: ${what}`, { cause: err });
  // The system's code after the words, so the failure can be looked up (ENOENT, ECONNREFUSED, ...).
  const coded = (what: string) => because(`${what} [${code}]`);
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return coded(`no socket at ${target}`);
    case "ECONNREFUSED":
      return endpoint.kind === "unix"
        ? coded(`nothing accepts connections on ${target} (the engine is not running?)`)
        : coded(`connection refused: nothing listens on ${target}`);
    case "EACCES":
    case "EPERM":
      return coded(
        `permission denied on ${target}: join the group that owns the socket (docker) or use a rootless engine`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return coded(`cannot resolve host ${endpoint.kind === "unix" ? target : endpoint.host}`);
    case "ECONNRESET":
    case "EPIPE":
      return because(`the connection closed before the engine answered (${code})`);
    default:
      return because(`${(err as Error | undefined)?.message ?? String(err)}${code ? ` [${code}]` : ""}`);
  }
}
