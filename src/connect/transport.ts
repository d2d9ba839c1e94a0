import type { ClientHttp2Session, ClientHttp2Stream } from "node:http2";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { authInterceptor } from "./auth-interceptor.js";
import { isTlsFailure } from "./error-mapping.js";
import type { GatewayTarget } from "./gateway-target.js";
import { rejectionAfterHandshake } from "./handshake-rejection.js";
import { resetWithoutHalfClose } from "./reset-stream.js";
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
  /** True while a connection is up, so a call can skip waiting for one. */
  isConnected(): boolean;
  /**
   * Why the connection failed, while it is in the failed state; or that the gateway closed the last
   * one right after the TLS handshake without speaking HTTP/2 (a rejected client certificate).
   */
  connectionError(): unknown;
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
  const sessionManager = new GuardedSessionManager(
    target.endpoint,
    {
      pingIntervalMs,
      pingTimeoutMs: Math.max(1, settings.timeouts.idleTimeoutMs - pingIntervalMs),
      idleConnectionTimeoutMs: 5 * 60_000,
    },
    tlsSessionOptions(target),
    target.tls?.cert !== undefined,
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
  return {
    transport,
    connect: () => sessionManager.connect(),
    isConnected: () => {
      const state = sessionManager.state();
      return state === "open" || state === "idle";
    },
    connectionError: () =>
      sessionManager.rejectedAfterHandshake() ??
      (sessionManager.state() === "error" ? sessionManager.error() : undefined),
    close: () => sessionManager.abort(),
  };
}

/**
 * connect-node's session manager drops its listeners when a connection leaves the ready state, but Node
 * can emit that session's final "error" later (a PING timeout on a frozen peer is delivered once the
 * socket finally closes). With no listener left, that late error would crash the process. The streams
 * on the session have already failed with it, so a listener that ignores it loses nothing.
 *
 * It also notices a gateway that closes a connection right after the TLS handshake without speaking
 * HTTP/2 (see handshake-rejection.ts): the streams on it fail as "canceled", and the connection's
 * state says only "closed", so the reason is kept here for the call to report.
 */
class GuardedSessionManager extends Http2SessionManager {
  private readonly guarded = new WeakSet<ClientHttp2Session>();
  /** Watched sessions that are open and that the SDK has not closed itself. */
  private readonly live = new Set<ClientHttp2Session>();
  private rejected: Error | undefined;

  constructor(
    url: string,
    pingOptions: ConstructorParameters<typeof Http2SessionManager>[1],
    sessionOptions: ConstructorParameters<typeof Http2SessionManager>[2],
    private readonly clientCertificate: boolean,
  ) {
    super(url, pingOptions, sessionOptions);
  }

  override async request(...args: Parameters<Http2SessionManager["request"]>): Promise<ClientHttp2Stream> {
    const stream = await super.request(...args);
    resetWithoutHalfClose(stream);
    const session = stream.session as ClientHttp2Session | undefined;
    if (session && !this.guarded.has(session)) {
      this.guarded.add(session);
      session.on("error", ignoreLateSessionError);
      this.watch(session);
    }
    return stream;
  }

  override abort(reason?: Error): void {
    this.live.clear();
    super.abort(reason);
  }

  /** Set after the gateway closed a connection right after the TLS handshake, until one speaks HTTP/2. */
  rejectedAfterHandshake(): Error | undefined {
    return this.rejected;
  }

  private watch(session: ClientHttp2Session): void {
    this.live.add(session);
    // Every HTTP/2 server acknowledges the client's SETTINGS at once; one that did is no rejection.
    if (!session.pendingSettingsAck) {
      this.rejected = undefined;
    } else {
      session.once("localSettings", () => {
        this.rejected = undefined;
      });
    }
    let failure: unknown;
    session.once("error", (err: unknown) => {
      failure = err;
    });
    session.once("close", () => {
      const rejected = rejectionAfterHandshake({
        closedByClient: !this.live.delete(session),
        settingsAcknowledged: !session.pendingSettingsAck,
        clientCertificate: this.clientCertificate && session.encrypted === true,
        tlsError: isTlsFailure(failure),
      });
      if (rejected) this.rejected = rejected;
    });
  }
}

function ignoreLateSessionError(): void {}

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
