import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { clientResponseHeaders, endToEndHeaders } from "../egress/proxy-headers.js";
import { limitConnectTime } from "../egress/socket-relay.js";
import { relayDeclinedUpgrade, spliceUpgrade } from "../egress/upgrade-splice.js";

/** Headers the proxy writes itself (appended after the client's own value, if any). */
const FORWARDED = new Set(["x-forwarded-for", "x-forwarded-proto"]);

/** How long a connection to the sandbox's port may take before the request is answered 502. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Where a request to a service goes right now: the sandbox's address and port, or the status the
 * gateway answers instead (412: the sandbox is not READY; 502: it cannot be reached).
 */
export type ServiceTarget =
  | { ok: true; host: string; port: number }
  | { ok: false; status: 412 | 502; message: string };

/** One service's listener on this host's loopback. */
export interface ServiceProxy {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Stops listening and cuts every connection it holds (requests and upgraded WebSockets). */
  close(): Promise<void>;
}

/**
 * Listens on `127.0.0.1:<port>` and forwards every HTTP request and WebSocket upgrade to the target
 * `resolve()` names at that moment, as the gateway's service router does: the listener is the
 * service, so it never answers 404 itself; 412 while the sandbox is not READY, 502 when nothing
 * answers on the target port. Requests keep their Host (the server sees the URL the browser used).
 *
 * @param port the port to reuse (a restarted gateway keeps its URLs); taken or 0 means any free port.
 */
export async function openServiceProxy(port: number, resolve: () => ServiceTarget): Promise<ServiceProxy> {
  const sockets = new Set<Duplex>();
  const track = (socket: Duplex) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  // Its own pool: connections to the sandbox are kept alive between requests, and all cut at close.
  const agent = new Agent({ keepAlive: true });
  const server = createServer();
  server.on("connection", track);
  server.on("request", (req: IncomingMessage, res: ServerResponse) =>
    forwardRequest(req, res, resolve, agent),
  );
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    forwardUpgrade(req, socket, head, resolve, track),
  );
  // A client's malformed request gets 400 from Node; its socket errors must not be unhandled.
  server.on("clientError", (_error, socket: Duplex) => socket.destroy());

  const bound = await listen(server, port).catch((error: NodeJS.ErrnoException) => {
    if (port === 0 || error.code !== "EADDRINUSE") throw error;
    return listen(server, 0);
  });
  let closed: Promise<void> | undefined;
  return {
    port: bound,
    close() {
      closed ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return closed;
    },
  };
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once("error", failed);
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      server.off("error", failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The gateway's own answer: one plain-text line saying why, never an echo of the request. */
function gatewayBody(message: string): string {
  return `openshell local gateway: ${message}\n`;
}

function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = gatewayBody(message);
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

function answerRaw(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = gatewayBody(message);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "content-type: text/plain; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
}

function unreachable(port: number, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return `nothing answers on port ${port} in the sandbox (${code}); start a server listening on 0.0.0.0:${port}`;
}

function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  resolve: () => ServiceTarget,
  agent: Agent,
): void {
  const target = resolve();
  if (!target.ok) {
    // The request body is not wanted: read it away so keep-alive still works for the next one.
    req.resume();
    answer(res, target.status, target.message);
    return;
  }
  const upstream = httpRequest({
    host: target.host,
    port: target.port,
    method: req.method ?? "GET",
    path: req.url ?? "/",
    headers: endToEndHeaders(req.rawHeaders, FORWARDED, forwardedFor(req)),
    setHost: false,
    agent,
  });
  limitConnectTime(upstream, CONNECT_TIMEOUT_MS);
  upstream.on("response", (reply) => {
    res.writeHead(reply.statusCode ?? 502, reply.statusMessage, clientResponseHeaders(reply.rawHeaders));
    reply.on("error", () => res.destroy());
    reply.on("aborted", () => res.destroy());
    reply.pipe(res);
  });
  upstream.on("error", (error) => answer(res, 502, unreachable(target.port, error)));
  // A client that goes away mid-answer takes the upstream request with it.
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.on("error", () => upstream.destroy());
  req.pipe(upstream);
}

function forwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  resolve: () => ServiceTarget,
  track: (socket: Duplex) => void,
): void {
  socket.on("error", () => socket.destroy());
  const target = resolve();
  if (!target.ok) {
    answerRaw(socket, target.status, target.message);
    return;
  }
  const upgrade = req.headers.upgrade ?? "";
  const upstream = httpRequest({
    host: target.host,
    port: target.port,
    method: req.method ?? "GET",
    path: req.url ?? "/",
    headers: endToEndHeaders(req.rawHeaders, FORWARDED, [
      ...forwardedFor(req),
      "Connection",
      "Upgrade",
      "Upgrade",
      upgrade,
    ]),
    setHost: false,
    // Upgraded connections leave any pool; a fresh one each.
    agent: false,
  });
  limitConnectTime(upstream, CONNECT_TIMEOUT_MS);
  let settled = false;
  const onClientGone = () => upstream.destroy();
  socket.once("close", onClientGone);
  upstream.on("upgrade", (reply, upstreamSocket: Socket, upstreamHead: Buffer) => {
    settled = true;
    socket.off("close", onClientGone);
    track(upstreamSocket);
    spliceUpgrade(socket, head, reply, upstreamSocket, upstreamHead);
  });
  upstream.on("response", (reply) => {
    // The server declined to switch protocols: its answer goes back, delimited by the close.
    settled = true;
    relayDeclinedUpgrade(socket, reply);
  });
  upstream.on("error", (error) => {
    if (settled) socket.destroy();
    else answerRaw(socket, 502, unreachable(target.port, error));
  });
  upstream.end();
}

/** X-Forwarded-For/-Proto, as a reverse proxy adds them: the server sees who asked and how. */
function forwardedFor(req: IncomingMessage): string[] {
  const client = req.socket.remoteAddress ?? "127.0.0.1";
  const earlier = req.headers["x-forwarded-for"];
  return [
    "X-Forwarded-For",
    earlier === undefined ? client : `${earlier}, ${client}`,
    "X-Forwarded-Proto",
    "http",
  ];
}
