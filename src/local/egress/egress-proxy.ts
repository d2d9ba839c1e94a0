import { once } from "node:events";
import { Agent, createServer, type Server } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { SecureContext } from "node:tls";
import type { CertificateAuthority } from "../listen/certificate-issuer.js";
import { openTunnel } from "./connect-tunnel.js";
import type { EgressClient, EgressEvent, LocalService } from "./egress-types.js";
import { forwardRequest } from "./forward-request.js";
import { LeafCertificates } from "./leaf-certificates.js";
import { LocalServiceServer } from "./local-service-server.js";
import type { Identified, ProxyContext } from "./proxy-context.js";
import { respond, respondRaw } from "./proxy-responses.js";
import type { RequestRewriter } from "./request-rewrite.js";
import { TunnelServer } from "./tunnel-server.js";
import type { Resolve } from "./upstream-admission.js";
import { upstreamTlsAgent, upstreamTlsContext } from "./upstream-trust.js";
import type { WebSocketTextRewriter } from "./websocket-text-relay.js";
import { forwardUpgrade } from "./websocket-upgrade.js";

export type { EgressClient, EgressEvent, LocalService } from "./egress-types.js";

export interface EgressProxyOptions {
  /** Address to listen on (the gateway host's address on the sandbox network). */
  host: string;
  /** Default 0: any free port. */
  port?: number;
  /**
   * Who a connection is, by its remote address (IPv4-mapped IPv6 addresses are given as IPv4).
   * Asked for every request and tunnel, so a policy change applies from the next one. Undefined:
   * refused with 403 "not a sandbox of this gateway".
   */
  identify(remoteAddress: string): EgressClient | undefined | Promise<EgressClient | undefined>;
  /**
   * Host names the proxy resolves itself; undefined falls back to DNS (dns.lookup). Its addresses
   * are trusted: they may be loopback or link-local (a service on the gateway host), which the proxy
   * never connects to when DNS or an IP literal in the request names them, and reaches through
   * these names only for an endpoint that names the host exactly (never a glob or hostless one).
   */
  resolve?: Resolve;
  /** Hosts the gateway answers itself, keyed by lower-case host name; always allowed, before the policy. */
  localServices?: ReadonlyMap<string, LocalService>;
  /** Every decision, until close() is called; a throwing listener is ignored. */
  onEvent?(event: EgressEvent): void;
  /**
   * Called for every allowed HTTP request (plain `http://`, or decrypted from TLS the proxy
   * terminated) after the policy and before the upstream is contacted: it may leave the request as
   * it is, change its path and headers, or refuse it (answered with its status and a JSON body
   * `{code, message}`, and reported as denied). A throw answers 500.
   */
  rewrite?: RequestRewriter;
  /**
   * Called once per websocket upgrade an endpoint with `websocket_credential_rewrite` allowed: what
   * resolves the credential placeholders of the text messages the sandbox sends on it. Without it,
   * such upgrades are relayed unread like any other.
   */
  websocketText?: WebSocketTextRewriter;
  /**
   * The CA the proxy issues certificates with when it terminates a sandbox's TLS (the gateway's
   * egress CA, which sandboxes trust). Without it, TLS in tunnels is relayed unread, and a tunnel to
   * an endpoint with L7 rules that starts TLS is cut (its rules could not be kept).
   */
  tlsCa?: CertificateAuthority;
  /**
   * CA certificates (PEM) trusted for upstreams reached over TLS, besides Node's bundled roots:
   * the proxy checks every upstream of TLS it terminated strictly, since the sandbox cannot.
   */
  trustedCertificates?: readonly string[];
  /** Upstream dial timeout. Default 10 000. */
  connectTimeoutMs?: number;
  /** How long a client may take to send a request's headers (slow clients are cut off). Default 30 000. */
  headersTimeoutMs?: number;
  /**
   * How long a client connection may sit with nothing moving while it sends a request or between
   * requests. A request waiting on a slow upstream, and an open tunnel, are never cut for idleness.
   * Default 120 000.
   */
  idleTimeoutMs?: number;
}

const defaults = { connectTimeoutMs: 10_000, headersTimeoutMs: 30_000, idleTimeoutMs: 120_000 };

/**
 * The local gateway's egress proxy: an HTTP forward proxy (absolute-URI requests and CONNECT
 * tunnels) that is the sandboxes' only way out. Every request is tied to a sandbox by its address,
 * decided by that sandbox's compiled `network_policies`, and reported through `onEvent`.
 */
export class EgressProxy implements AsyncDisposable {
  private readonly sockets = new Set<Duplex>();
  private closing: Promise<void> | undefined;
  private httpsAgent: HttpsAgent | undefined;
  private trust: SecureContext | undefined;
  private readonly leaves: LeafCertificates | undefined;
  private readonly tunnels: TunnelServer;

  private constructor(
    private readonly server: Server,
    private readonly agent: Agent,
    private readonly options: EgressProxyOptions,
    readonly host: string,
    readonly port: number,
    private readonly locals: LocalServiceServer,
    timeouts: { headersTimeoutMs: number; idleTimeoutMs: number },
  ) {
    this.leaves = options.tlsCa === undefined ? undefined : new LeafCertificates(options.tlsCa);
    this.tunnels = new TunnelServer(() => this.ctx, timeouts);
    this.ctx = this.context();
  }

  /**
   * Starts listening; rejects with the listen error (EADDRINUSE, ...) when it cannot, or before
   * listening when a local service's TLS key or certificate is unusable.
   */
  static async listen(options: EgressProxyOptions): Promise<EgressProxy> {
    const headersTimeoutMs = options.headersTimeoutMs ?? defaults.headersTimeoutMs;
    const idleTimeoutMs = options.idleTimeoutMs ?? defaults.idleTimeoutMs;
    const locals = new LocalServiceServer({
      headersTimeoutMs,
      idleTimeoutMs,
      services: options.localServices,
    });
    const server = createServer({
      headersTimeout: headersTimeoutMs,
      // Uploads may rightly take long; a stalled one is cut by the idle timeout instead.
      requestTimeout: 0,
      // How often headersTimeout is checked: a slow client is cut within half of it again.
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, headersTimeoutMs / 2)),
      noDelay: true,
      keepAlive: true,
    });
    server.timeout = idleTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: options.host, port: options.port ?? 0 }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    // Accept failures (EMFILE) come as server errors; unhandled, they would crash the embedding app.
    server.on("error", () => {});
    const address = server.address() as AddressInfo;
    // Upstream sockets are kept for reuse so a request through the proxy costs what one direct does.
    const agent = new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: "lifo" });
    const proxy = new EgressProxy(server, agent, options, address.address, address.port, locals, {
      headersTimeoutMs,
      idleTimeoutMs,
    });
    proxy.attach();
    return proxy;
  }

  /** Stops listening and cuts every open connection, tunnel and upstream. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = once(this.server, "close");
      this.server.close();
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      this.locals.close();
      this.tunnels.close();
      this.agent.destroy();
      this.httpsAgent?.destroy();
      this.server.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private readonly ctx: ProxyContext;

  private attach(): void {
    const ctx = this.ctx;
    const server = this.server;
    server.on("connection", (socket: Socket) => this.track(socket));
    server.on("request", (req, res) => {
      forwardRequest(ctx, req, res).catch((error: unknown) => respond(res, 500, internal(error)));
    });
    server.on("connect", (req, socket: Socket, head: Buffer) => {
      // The HTTP server lets go of the socket here, its error listener included.
      socket.on("error", () => socket.destroy());
      openTunnel(ctx, req, socket, head).catch((error: unknown) => respondRaw(socket, 500, internal(error)));
    });
    server.on("upgrade", (req, socket: Socket, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      forwardUpgrade(ctx, req, socket, head).catch((error: unknown) =>
        respondRaw(socket, 500, internal(error)),
      );
    });
    // Malformed requests and slow headers get the status Node would give (400, 431, 408) with the
    // proxy's one-line body; a connection reset mid-request is just closed.
    server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
      if (error.code === "ECONNRESET" || !socket.writable) return socket.destroy();
      const status =
        error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
      respondRaw(socket, status, status === 408 ? "request headers took too long" : "malformed request");
    });
  }

  private track(socket: Duplex): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  private context(): ProxyContext {
    const options = this.options;
    const trust = () => {
      this.trust ??= upstreamTlsContext(options.trustedCertificates);
      return this.trust;
    };
    return {
      agent: this.agent,
      tlsAgent: () => {
        this.httpsAgent ??= upstreamTlsAgent(trust());
        return this.httpsAgent;
      },
      tlsTrust: () => ({ secureContext: trust(), rejectUnauthorized: true }),
      rewrite: options.rewrite,
      websocketText: options.websocketText,
      leaves: this.leaves,
      serveTunnel: (connection, tunnel) => this.tunnels.serve(connection, tunnel),
      connectTimeoutMs: options.connectTimeoutMs ?? defaults.connectTimeoutMs,
      localServices: options.localServices,
      resolve: options.resolve,
      self: () => ({ host: this.host, port: this.port }),
      identify: (socket) => this.identify(socket),
      emit: (event) => {
        // What close() cuts off would otherwise be reported after it resolved, to a log shut down with it.
        if (this.closing !== undefined) return;
        try {
          options.onEvent?.(event);
        } catch {
          // The log is the embedder's; a failure there must not take requests down with it.
        }
      },
      track: (socket) => this.track(socket),
      serveLocal: (stream, client, service) => this.locals.serve(stream, client, service),
    };
  }

  private async identify(socket: Socket): Promise<Identified> {
    const remoteAddress = (socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
    try {
      const client = await this.options.identify(remoteAddress);
      if (client !== undefined) return { client, remoteAddress };
      return {
        client,
        remoteAddress,
        status: 403,
        reason: `${remoteAddress || "this client"} is not a sandbox of this gateway`,
      };
    } catch (error) {
      return {
        client: undefined,
        remoteAddress,
        status: 503,
        reason: `the gateway could not tell which sandbox ${remoteAddress} is (${internal(error)}); try again`,
      };
    }
  }
}

function internal(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
