/**
 * Timeouts that bound every call and stream. Defaults suit a gateway on the same network; a caller on a
 * slow link raises them through `OpenShell.connect({ timeouts })`.
 */
export interface StreamTimeouts {
  /** Deadline for a unary call, retries included. Default 30 s. */
  callTimeoutMs: number;
  /**
   * How long a call may take to reach the gateway: the connection (TCP, TLS, HTTP/2) when there is
   * none yet, and for a stream (exec, forward, logs, watch) the gateway's answer to the call, its
   * response headers, which a gateway sends at once even when the command or port stays silent.
   * Default 15 s.
   */
  handshakeTimeoutMs: number;
  /**
   * How long a connection with open streams may stay silent, HTTP/2 PING acknowledgements included,
   * before it is declared dead and every stream on it fails. A stream whose command prints nothing for
   * an hour is fine; a gateway that stops answering pings is not. Default 20 s.
   */
  idleTimeoutMs: number;
}

export const defaultStreamTimeouts: StreamTimeouts = {
  callTimeoutMs: 30_000,
  handshakeTimeoutMs: 15_000,
  idleTimeoutMs: 20_000,
};
