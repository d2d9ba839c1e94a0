import { once } from "node:events";
import * as http from "node:http";
import * as https from "node:https";
import type * as net from "node:net";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { type CertificateAuthority, issueServerCertificate } from "../../../support/certs.js";
import { connectVia } from "./proxy-clients.js";

/**
 * TLS servers and clients for the egress proxy's TLS termination, on real loopback sockets: an
 * HTTPS upstream (its own CA) that answers with what it received and echoes websocket bytes, a TLS
 * echo server, and a client that CONNECTs through the proxy and speaks TLS inside as curl does.
 */

export interface TlsServer {
  port: number;
  close(): Promise<void>;
}

/** Answers every request with JSON of what it got; websocket upgrades echo raw bytes after the 101. */
export async function startHttpsUpstream(ca: CertificateAuthority, names: string[]): Promise<TlsServer> {
  const cert = await issueServerCertificate(ca, { dnsNames: names });
  const server = https.createServer({ ...cert }, async (req, res) => {
    let bodyBytes = 0;
    for await (const chunk of req) bodyBytes += (chunk as Buffer).length;
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      bodyBytes,
      sni: (req.socket as tls.TLSSocket).servername,
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  });
  server.on("upgrade", (_req, socket: net.Socket) => {
    socket.on("error", () => socket.destroy());
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    socket.pipe(socket);
  });
  return listen(server);
}

/** Echoes whatever arrives over TLS. */
export async function startTlsEcho(ca: CertificateAuthority, names: string[]): Promise<TlsServer> {
  const cert = await issueServerCertificate(ca, { dnsNames: names });
  const server = tls.createServer({ ...cert }, (socket) => {
    socket.on("error", () => socket.destroy());
    socket.pipe(socket);
  });
  return listen(server);
}

async function listen(server: net.Server): Promise<TlsServer> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      (server as http.Server).closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface TlsAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The certificate the client was shown inside the tunnel. */
  peer: tls.PeerCertificate;
  alpn: string | false | null;
}

/**
 * A TLS connection inside a CONNECT tunnel to `target` through the proxy, trusting `ca` (the
 * gateway's egress CA, or the upstream's own for `tls: skip`).
 */
export async function tlsViaProxy(
  proxy: { host: string; port: number },
  target: string,
  options: { ca: string; servername?: string },
): Promise<tls.TLSSocket> {
  const { socket, head } = await connectVia(proxy, target);
  if (!head.startsWith("HTTP/1.1 200")) throw new Error(`CONNECT refused: ${head}`);
  const secure = tls.connect({
    socket,
    ca: options.ca,
    servername: options.servername ?? target.split(":")[0],
    ALPNProtocols: ["h2", "http/1.1"],
  });
  await new Promise<void>((resolve, reject) => {
    secure.once("secureConnect", resolve);
    secure.once("error", reject);
  });
  return secure;
}

/** One HTTPS request inside a tunnel, as `curl --proxy ... https://target/path` makes it. */
export async function httpsViaProxy(
  proxy: { host: string; port: number },
  target: string,
  request: {
    ca: string;
    servername?: string;
    method?: string;
    path?: string;
    headers?: http.OutgoingHttpHeaders;
  },
): Promise<TlsAnswer> {
  const secure = await tlsViaProxy(proxy, target, request);
  try {
    return await new Promise<TlsAnswer>((resolve, reject) => {
      const req = http.request(
        {
          createConnection: () => secure,
          method: request.method ?? "GET",
          path: request.path ?? "/",
          headers: { host: target.split(":")[0], ...request.headers },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              peer: secure.getPeerCertificate(),
              alpn: secure.alpnProtocol,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end();
    });
  } finally {
    secure.destroy();
  }
}
