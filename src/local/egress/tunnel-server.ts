import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ProxyContext } from "./proxy-context.js";
import { respond, respondRaw } from "./proxy-responses.js";
import { passGate } from "./request-gate.js";
import { httpEgressRequest, tunnelRequestTarget } from "./request-target.js";
import { exchange } from "./upstream-exchange.js";
import { upgradeInTunnel } from "./websocket-upgrade.js";

/** A CONNECT tunnel whose HTTP requests the proxy reads. */
export interface InspectedTunnel {
  /** The CONNECT's host and port, which the policy checked: every request inside goes there. */
  host: string;
  port: number;
  /** Whether the proxy terminated the sandbox's TLS (then requests go upstream over TLS). */
  tls: boolean;
  /** The sandbox's TCP connection to the proxy: who sends the requests. */
  clientSocket: Socket;
}

/**
 * Serves the HTTP requests inside CONNECT tunnels the proxy looks into (TLS it terminated, or plain
 * HTTP to an endpoint with L7 rules): an HTTP server that never listens, fed each tunnel as a
 * connection. Each request is identified, decided and forwarded exactly as a plain `http://`
 * request is (L7 rules, audit, the request rewriter), to the tunnel's host.
 */
export class TunnelServer {
  private readonly server: Server;
  private readonly tunnels = new WeakMap<object, InspectedTunnel>();
  private readonly open = new Set<Duplex>();

  constructor(ctx: () => ProxyContext, options: { headersTimeoutMs: number; idleTimeoutMs: number }) {
    this.server = createServer({ headersTimeout: options.headersTimeoutMs, requestTimeout: 0 });
    this.server.timeout = options.idleTimeoutMs;
    this.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const tunnel = this.tunnels.get(req.socket);
      if (tunnel === undefined) return void res.destroy();
      forwardInTunnel(contextFor(ctx(), tunnel), tunnel, req, res).catch((error: unknown) =>
        respond(res, 500, message(error)),
      );
    });
    this.server.on("upgrade", (req: IncomingMessage, connection: Duplex, head: Buffer) => {
      const tunnel = this.tunnels.get(connection);
      if (tunnel === undefined) return void connection.destroy();
      const target = tunnelRequestTarget(tunnel, req.url);
      if (!target.ok) return respondRaw(connection, 400, target.message);
      upgradeInTunnel(contextFor(ctx(), tunnel), req, connection, head, {
        ...tunnel,
        target: target.value,
      }).catch((error: unknown) => respondRaw(connection, 500, message(error)));
    });
    // A CONNECT inside a tunnel, or a malformed request: the status Node would give, then closed.
    this.server.on("clientError", (_error: Error, connection: Duplex) => {
      if (!connection.writable) return connection.destroy();
      respondRaw(connection, 400, "malformed request inside the tunnel");
    });
  }

  /** Serves `connection` (decrypted, or the tunnel's plain stream) as a connection of `tunnel`. */
  serve(connection: Duplex, tunnel: InspectedTunnel): void {
    connection.on("error", () => connection.destroy());
    tunnel.clientSocket.once("close", () => connection.destroy());
    this.open.add(connection);
    connection.once("close", () => this.open.delete(connection));
    this.tunnels.set(connection, tunnel);
    this.server.emit("connection", connection);
    // The first bytes were read to tell TLS from plain and put back: flowing again, they reach the parser.
    connection.resume();
  }

  /** Cuts every tunnel off. */
  close(): void {
    for (const connection of this.open) connection.destroy();
    this.open.clear();
  }
}

async function forwardInTunnel(
  ctx: ProxyContext,
  tunnel: InspectedTunnel,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  res.on("error", () => res.destroy());
  const parsed = tunnelRequestTarget(tunnel, req.url);
  if (!parsed.ok) return respond(res, 400, parsed.message);
  const target = parsed.value;
  const request = httpEgressRequest(target, req.method, false);
  // Asked again for every request: a policy change applies from the next one, as for plain HTTP.
  const gate = await passGate(ctx, tunnel.clientSocket, request);
  if (gate.to === "refusal") return respond(res, gate.status, gate.message, gate.denied);
  if (gate.to === "local") return respond(res, 421, `${target.host} is not served inside this tunnel`);
  if (res.destroyed) return;
  await exchange(ctx, req, res, { gate, request, target, tls: tunnel.tls });
}

/** For a terminated tunnel, the proxy context whose events say their requests were https. */
function contextFor(ctx: ProxyContext, tunnel: InspectedTunnel): ProxyContext {
  if (!tunnel.tls) return ctx;
  return { ...ctx, emit: (event) => ctx.emit({ ...event, tls: true }) };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
