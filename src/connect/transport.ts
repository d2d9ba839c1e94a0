import { checkServerIdentity, type PeerCertificate } from "node:tls";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { authInterceptor } from "./auth-interceptor.js";
import type { GatewayTarget } from "./gateway-target.js";
import { type RetryOptions, retryInterceptor } from "./retry-interceptor.js";
import type { StreamTimeouts } from "./stream-timeouts.js";

export interface TransportSettings {
  timeouts: StreamTimeouts;
  retry: RetryOptions;
  /** Extra interceptors, run after auth and retry (closest to the wire). */
  interceptors?: Interceptor[];
}

/** A transport plus the means to close its connection. */
export interface GatewayTransport {
  transport: Transport;
  /**
   * Opens (or verifies) the HTTP/2 connection: TCP, TLS handshake and HTTP/2 settings. Resolves to
   * "error" when that failed (the call that follows reports why); never waits on any stream.
   */
  connect(): Promise<"open" | "idle" | "error">;
  /** Closes the HTTP/2 connection and every stream still open on it. */
  close(): void;
}

/**
 * A gRPC-over-HTTP/2 transport to one gateway. Nothing connects until the first call. PING frames keep
 * a dead peer from hanging a silent stream: when pings go unanswered for the idle timeout the
 * connection is closed and every stream on it fails.
 */
export function createGatewayTransport(target: GatewayTarget, settings: TransportSettings): GatewayTransport {
  const pingIntervalMs = Math.max(1, Math.floor(settings.timeouts.idleTimeoutMs / 2));
  const sessionManager = new Http2SessionManager(
    target.endpoint,
    {
      pingIntervalMs,
      pingTimeoutMs: Math.max(1, settings.timeouts.idleTimeoutMs - pingIntervalMs),
      idleConnectionTimeoutMs: 5 * 60_000,
    },
    tlsSessionOptions(target),
  );
  const transport = createGrpcTransport({
    baseUrl: target.endpoint,
    sessionManager,
    // Retry outermost so each attempt fetches a fresh token through the auth interceptor.
    interceptors: [
      retryInterceptor(settings.retry),
      authInterceptor(target.auth),
      ...(settings.interceptors ?? []),
    ],
  });
  return { transport, connect: () => sessionManager.connect(), close: () => sessionManager.abort() };
}

function tlsSessionOptions(target: GatewayTarget) {
  const tls = target.tls;
  if (!tls) return {};
  const serverName = tls.serverName;
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    servername: serverName,
    rejectUnauthorized: !tls.insecureSkipVerify,
    // With an SNI override, the certificate must name the override, not the URL's host.
    ...(serverName
      ? {
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            checkServerIdentity(serverName, cert),
        }
      : {}),
  };
}
