import { once } from "node:events";
import * as http from "node:http";
import * as net from "node:net";

/**
 * Test servers and clients for the egress proxy, all on real loopback sockets: an upstream HTTP
 * server that answers with what it received, a TCP echo server, and clients that talk to the proxy
 * the way curl and friends do (absolute-URI requests, raw CONNECT).
 */

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

export interface Upstream {
  server: http.Server;
  port: number;
  /** Connections the upstream accepted: the proxy's pool reuses them. */
  connections: number;
  /** Requests the upstream saw end before their body did. */
  aborted: number;
  close(): Promise<void>;
}

/**
 * Answers every request with JSON of what it got; `/reset` answers part of a body then cuts the
 * connection, `/hang` never answers; websocket upgrades are accepted and then echo raw bytes.
 */
export async function startUpstream(): Promise<Upstream> {
  const state = { connections: 0, aborted: 0 };
  const server = http.createServer(async (req, res) => {
    if (req.url === "/hang") return; // never answers
    if (req.url === "/reset") {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial");
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    let bodyBytes = 0;
    try {
      for await (const chunk of req) bodyBytes += (chunk as Buffer).length;
    } catch {
      state.aborted++;
      return;
    }
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyBytes });
    res.writeHead(200, { "content-type": "application/json", connection: "keep-alive", "x-upstream": "yes" });
    res.end(body);
  });
  server.on("connection", () => state.connections++);
  server.on("upgrade", (req, socket) => {
    socket.on("error", () => socket.destroy());
    socket.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: fake-for-${req.headers["sec-websocket-key"]}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  return {
    server,
    port: await onLoopback(server),
    get connections() {
      return state.connections;
    },
    get aborted() {
      return state.aborted;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export async function startEcho(): Promise<{ server: net.Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.pipe(socket);
  });
  return {
    server,
    port: await onLoopback(server),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Listens on a free port of 127.0.0.1 and returns it. */
async function onLoopback(server: net.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await onLoopback(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ProxyRequest {
  method?: string;
  url: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
  agent?: http.Agent;
}

/** Sends `url` (absolute) through the proxy as an HTTP client configured with a proxy does. */
export function viaProxy(proxy: { host: string; port: number }, request: ProxyRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: proxy.host,
        port: proxy.port,
        method: request.method ?? "GET",
        path: request.url,
        headers: request.headers,
        agent: request.agent ?? false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(request.body);
  });
}

/** Reads from `socket` until `done(text so far)` says so, or the socket ends. */
export function readUntil(socket: net.Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (done(text)) finish();
    };
    const finish = () => {
      // Paused, so nothing arriving before the next read is dropped.
      socket.pause();
      socket.off("data", onData);
      socket.off("end", finish);
      socket.off("close", finish);
      socket.off("error", reject);
      resolve(text);
    };
    socket.on("data", onData);
    socket.once("end", finish);
    socket.once("close", finish);
    socket.once("error", reject);
    socket.resume();
  });
}

/** Opens a TCP connection to the proxy and sends `head` (a request head, CONNECT or otherwise). */
export async function rawRequest(proxy: { host: string; port: number }, head: string): Promise<net.Socket> {
  const socket = net.connect(proxy.port, proxy.host);
  await once(socket, "connect");
  socket.write(head);
  return socket;
}

/** CONNECT `target` through the proxy; resolves with the socket and the proxy's answer head. */
export async function connectVia(
  proxy: { host: string; port: number },
  target: string,
): Promise<{ socket: net.Socket; head: string }> {
  const socket = await rawRequest(proxy, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  const head = await readUntil(socket, (t) => t.includes("\r\n\r\n"));
  return { socket, head };
}
