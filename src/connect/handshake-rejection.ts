/**
 * Node's TLS server (the local gateway's `listen()` among them) checks a client certificate only after
 * the TLS 1.3 handshake is complete on the client's side, and when the check fails it just closes the
 * socket: no TLS alert, so TLS itself tells the client nothing, and the open HTTP/2 streams fail as
 * merely "canceled". What the client can see is that the gateway closed the connection without ever
 * acknowledging the HTTP/2 SETTINGS frame that every HTTP/2 server answers at once: it never spoke
 * HTTP/2 at all. With a client certificate presented, the likely reason is that it was rejected.
 */

/** The SDK's own error code for that case (not one of Node's), mapped to a TlsError. */
export const closedAfterHandshakeCode = "OPENSHELL_CLOSED_AFTER_TLS_HANDSHAKE";

/** What the transport saw of one HTTP/2 connection when it closed. */
export interface SessionEnd {
  /** The SDK closed it (`OpenShell.close()`), not the gateway. */
  closedByClient: boolean;
  /** The gateway acknowledged the client's HTTP/2 SETTINGS, so it spoke HTTP/2 on this connection. */
  settingsAcknowledged: boolean;
  /** The connection was TLS and the client presented a certificate (mTLS). */
  clientCertificate: boolean;
  /** The connection failed with a TLS error of its own (the gateway sent an alert), which says more. */
  tlsError: boolean;
}

/**
 * The error to report for a connection the gateway closed right after the TLS handshake, before a
 * word of HTTP/2; undefined when the connection ended any other way.
 */
export function rejectionAfterHandshake(end: SessionEnd): Error | undefined {
  if (end.closedByClient || end.settingsAcknowledged || !end.clientCertificate || end.tlsError) {
    return undefined;
  }
  return Object.assign(
    new Error(
      "the gateway closed the connection right after the TLS handshake without speaking HTTP/2 (no TLS alert)",
    ),
    { code: closedAfterHandshakeCode },
  );
}
