import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { createSecureContext, type SecureContext, TLSSocket } from "node:tls";
import type { EgressClient, LocalService } from "./egress-types.js";

/**
 * Serves the HTTP requests that arrive through CONNECT tunnels to local services: an HTTP server
 * that never listens, fed each tunnel (decrypted with the service's certificate when it has one)
 * as a connection, and routing each request to the tunnel's service with the tunnel's client.
 */
export class LocalServiceServer {
  private readonly server: Server;
  private readonly tunnels = new WeakMap<object, { client: EgressClient; service: LocalService }>();
  private readonly contexts = new WeakMap<LocalService, SecureContext>();
  private readonly open = new Set<Duplex>();

  /** @throws when a service's TLS key or certificate is unusable (so listen() fails, not a tunnel). */
  constructor(options: {
    headersTimeoutMs: number;
    idleTimeoutMs: number;
    services: ReadonlyMap<string, LocalService> | undefined;
  }) {
    for (const [host, service] of options.services ?? []) {
      if (service.tls === undefined) continue;
      try {
        this.contexts.set(service, createSecureContext({ key: service.tls.key, cert: service.tls.cert }));
      } catch (error) {
        throw new Error(
          `local service ${host}: unusable TLS key or certificate (${(error as Error).message})`,
          {
            cause: error,
          },
        );
      }
    }
    this.server = createServer(
      { headersTimeout: options.headersTimeoutMs, requestTimeout: 0 },
      (req, res) => {
        const tunnel = this.tunnels.get(req.socket);
        if (tunnel === undefined) {
          res.destroy();
          return;
        }
        for (const name of ["proxy-authorization", "proxy-connection"]) delete req.headers[name];
        tunnel.service.handle(req, res, tunnel.client);
      },
    );
    this.server.timeout = options.idleTimeoutMs;
  }

  /** Serves `stream` (a tunnel's client side, after `200 Connection Established`). */
  serve(stream: Duplex, client: EgressClient, service: LocalService): void {
    const connection = service.tls === undefined ? stream : this.decrypt(stream, service);
    connection.on("error", () => connection.destroy());
    stream.once("close", () => connection.destroy());
    this.open.add(connection);
    connection.once("close", () => this.open.delete(connection));
    this.tunnels.set(connection, { client, service });
    this.server.emit("connection", connection);
  }

  /** Cuts every tunnel off. */
  close(): void {
    for (const connection of this.open) connection.destroy();
    this.open.clear();
  }

  private decrypt(stream: Duplex, service: LocalService): TLSSocket {
    const secureContext = this.contexts.get(service);
    return new TLSSocket(stream, { isServer: true, secureContext, ALPNProtocols: ["http/1.1"] });
  }
}
