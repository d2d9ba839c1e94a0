import { Code, ConnectError } from "@connectrpc/connect";
import {
  AlreadyExistsError,
  CanceledError,
  ConflictError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  OpenShellError,
  PermissionDeniedError,
  ProtocolError,
  ResourceExhaustedError,
  TimeoutError,
  TlsError,
  UnauthenticatedError,
  UnavailableError,
} from "../errors.js";
import { closedAfterHandshakeCode } from "./handshake-rejection.js";

/** Node/OpenSSL error codes of a failed TLS handshake, with what the user should do about each. */
const tlsProblems: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "the gateway's certificate is not signed by the configured CA; check that mtls/ca.crt (or tls.ca) belongs to this gateway",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    "the gateway's certificate is not signed by the configured CA; check that mtls/ca.crt (or tls.ca) belongs to this gateway",
  SELF_SIGNED_CERT_IN_CHAIN:
    "the gateway's certificate chain ends in a CA that is not trusted; check that mtls/ca.crt (or tls.ca) belongs to this gateway",
  DEPTH_ZERO_SELF_SIGNED_CERT:
    "the gateway presents a self-signed certificate that is not trusted; pass its CA as tls.ca",
  CERT_HAS_EXPIRED: "the gateway's certificate has expired; renew the gateway's certificate",
  CERT_NOT_YET_VALID: "the gateway's certificate is not valid yet; check the clocks of both machines",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the gateway's certificate does not name this host; connect with the host name in the certificate or set tls.serverName (OPENSHELL_GATEWAY_TLS_SERVER_NAME)",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    "the gateway requires a client certificate (mTLS) and none was sent; provide mtls/tls.crt and mtls/tls.key or tls.cert and tls.key",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    "the gateway rejected the client certificate because it has expired; get a new client certificate for this gateway",
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE:
    "the gateway rejected the client certificate; make sure mtls/tls.crt was issued by this gateway's CA",
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA:
    "the gateway does not trust the CA that issued the client certificate; use the client certificate issued for this gateway",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    "the gateway rejected the client certificate; make sure mtls/tls.crt was issued by this gateway's CA",
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR:
    "the client certificate and key do not match; check mtls/tls.crt and mtls/tls.key",
  ERR_SSL_WRONG_VERSION_NUMBER:
    "the endpoint does not speak TLS; if the gateway serves plaintext, use an http:// endpoint",
  ERR_SSL_PACKET_LENGTH_TOO_LONG:
    "the endpoint does not speak TLS; if the gateway serves plaintext, use an http:// endpoint",
};

/** A gateway that dropped the connection after the handshake instead of sending a TLS alert. */
const closedAfterHandshakeProblem =
  "most likely it rejected the client certificate (issued by another CA, or expired); check that mtls/tls.crt and mtls/tls.key (or tls.cert and tls.key) were issued by this gateway's CA (mtls/ca.crt) and have not expired";

/**
 * Node error codes of a connection that broke under a call. The gateway never answered such a call
 * with a status, so the code connect gives it (ABORTED for a reset, CANCELED for a closed session)
 * says nothing about the call itself: it is UNAVAILABLE, and retrying once the gateway is back is
 * the remedy, not reading the object again (ABORTED) or looking for who canceled (nobody did).
 */
const connectionLostCodes = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** connect-node's text for a stream its session closed with CANCEL (the gateway process died, say). */
const streamCanceledByPeer = /^http\/2 stream closed with error code CANCEL\b/;

/** Finds a Node error code anywhere in an error's cause chain. */
function nodeErrorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current && depth < 8; depth++) {
    if (typeof current === "object" && "code" in current && typeof current.code === "string") {
      codes.push(current.code);
    }
    current =
      typeof current === "object" && current !== null && "cause" in current ? current.cause : undefined;
  }
  return codes;
}

/** True when the failure was a TLS handshake problem: retrying would fail the same way. */
export function isTlsFailure(err: unknown): boolean {
  return nodeErrorCodes(err).some((code) => code in tlsProblems || code === closedAfterHandshakeCode);
}

/** Where a failure happened, for messages: `get sandbox "demo"`. */
export interface ErrorContext {
  operation: string;
  endpoint?: string | undefined;
}

/**
 * Turns anything a call can throw into the SDK's error classes. The gateway's own message is kept
 * (it names the object), prefixed with what the SDK was doing.
 */
export function toOpenShellError(err: unknown, context: ErrorContext): OpenShellError {
  // The SDK's own error, thrown inside the call (the OIDC token file is unreadable, say): connect
  // wraps it as an internal ConnectError, which would blame the gateway for a local problem.
  const own = ownError(err);
  if (own) return own;
  const codes = nodeErrorCodes(err);
  const tlsCode = codes.find((code) => code in tlsProblems);
  const where = context.endpoint ? ` (${context.endpoint})` : "";
  if (codes.includes(closedAfterHandshakeCode)) {
    return new TlsError(
      `${context.operation}: the gateway${where} closed the connection right after the TLS handshake, without a TLS alert or an HTTP/2 response: ${closedAfterHandshakeProblem} [${closedAfterHandshakeCode}]`,
      { cause: err },
    );
  }
  if (tlsCode) {
    return new TlsError(
      `${context.operation}: TLS handshake with the gateway${where} failed: ${tlsProblems[tlsCode]} [${tlsCode}]`,
      {
        cause: err,
      },
    );
  }
  if (isAbortError(err)) {
    return new CanceledError(`${context.operation}: canceled by the caller's AbortSignal`, { cause: err });
  }
  const ce = ConnectError.from(err);
  const detail = ce.rawMessage || "no detail from the gateway";
  const options = { cause: err, grpcCode: Code[ce.code] ? codeName(ce.code) : undefined };
  const msg = `${context.operation}: ${detail}`;
  const lost = codes.find((code) => connectionLostCodes.has(code));
  if (lost !== undefined || streamCanceledByPeer.test(detail)) {
    return new UnavailableError(
      `${context.operation}: the connection to the gateway${where} broke before the call finished (${detail}); it may have stopped or restarted. Check that it is running and reachable, then retry.`,
      options,
    );
  }
  switch (ce.code) {
    case Code.NotFound:
      return new NotFoundError(msg, options);
    case Code.AlreadyExists:
      return new AlreadyExistsError(`${msg}. Pick another name or delete the existing one first.`, options);
    case Code.InvalidArgument:
    case Code.OutOfRange:
      return new InvalidArgumentError(msg, options);
    case Code.FailedPrecondition:
      return new FailedPreconditionError(msg, options);
    case Code.Aborted:
      return new ConflictError(
        `${msg}. The object changed since you read it: read it again and retry.`,
        options,
      );
    case Code.ResourceExhausted:
      return new ResourceExhaustedError(msg, options);
    case Code.Unauthenticated:
      return new UnauthenticatedError(
        `${msg}. Check the gateway's credentials (client certificate, OIDC or edge token); log in again with the openshell CLI if a token expired.`,
        options,
      );
    case Code.PermissionDenied:
      return new PermissionDeniedError(`${msg}${permissionHint}`, options);
    case Code.Unavailable:
      return new UnavailableError(
        `${context.operation}: the gateway${where} is unavailable: ${detail.replace(/\.+$/, "")}. Check that it is running and reachable.`,
        options,
      );
    case Code.DeadlineExceeded:
      return new TimeoutError(`${context.operation}: timed out: ${detail}`, options);
    case Code.Canceled:
      return new CanceledError(`${context.operation}: canceled: ${detail}`, options);
    case Code.Unimplemented:
      // Local mode says itself why and what to use instead; only a real gateway may be too old.
      if (/not available in local mode/.test(detail)) {
        return new ProtocolError(`${context.operation}: ${detail}`, options);
      }
      return new ProtocolError(
        `${context.operation}: the gateway does not implement this call (${detail}); it may be older than this SDK expects`,
        options,
      );
    default:
      return new InternalError(`${context.operation}: the gateway failed: ${detail}`, options);
  }
}

/**
 * What to do about PERMISSION_DENIED: the gateway's own message names the role or membership the
 * call needs (and, for a workspace role, the command an admin runs to grant it).
 */
const permissionHint =
  ". The gateway knows who you are, but your identity lacks that role or membership: os.workspaces.currentUser() shows your subject and roles; ask a platform admin (or the workspace's admin) to grant it, or call with credentials that have it";

/** The SDK error an error is, or is caused by (connect keeps it as the cause), if any. */
function ownError(err: unknown): OpenShellError | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current instanceof OpenShellError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

function codeName(code: Code): string {
  // Code[Code.NotFound] is "NotFound"; gRPC spells it NOT_FOUND.
  return (Code[code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

function isAbortError(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === "AbortError" || err.name === "TimeoutError") &&
    !(err instanceof ConnectError)
  );
}
