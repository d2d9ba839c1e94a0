/** Options every unary call accepts. */
export interface RequestOptions {
  /** Cancels the call; it then rejects with `CanceledError`. */
  signal?: AbortSignal;
  /** Deadline for this call, retries included. Defaults to the client's `timeouts.callTimeoutMs`. */
  timeoutMs?: number;
}

/** Options every streaming call accepts. */
export interface StreamRequestOptions {
  /** Cancels the stream; iteration then throws `CanceledError`. */
  signal?: AbortSignal;
  /**
   * Deadline to reach the gateway (TCP, TLS, HTTP/2) and for its answer to the call (the response
   * headers, which a gateway sends at once even while the command or port stays silent). Defaults to
   * the client's `timeouts.handshakeTimeoutMs`.
   */
  handshakeTimeoutMs?: number;
}

/** Options of calls scoped to a workspace. */
export interface WorkspaceOptions {
  /** Workspace of the object; defaults to the client's workspace. */
  workspace?: string;
}
