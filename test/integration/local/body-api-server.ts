import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";

/** One request the API received: its Host, framing and whole body. */
export interface BodySeen {
  host: string;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
  expect: string | undefined;
  body: string;
}

/** A test API on this host that demands the real token inside each request's body. */
export interface BodyServer {
  server: Server;
  /** The loopback address it listens on, port 443. */
  address: string;
  seen: BodySeen[];
  /** What arrived of each request whose connection closed before its body ended. */
  cut: string[];
}

/**
 * Starts an API on a loopback address of its own, port 443 (what the github profile binds), that
 * answers 200 `{"ok":true}` when the body holds `expected()` and 401 otherwise: the server, not
 * the test, checks what the proxy sent. With `tls` (PEM key and certificate) it speaks HTTPS.
 */
export async function startBodyServer(
  expected: () => string,
  tls?: { key: string; cert: string },
): Promise<BodyServer> {
  const octet = (min: number) => min + Math.floor(Math.random() * 250);
  const address = `127.${octet(1)}.${octet(0)}.${octet(2)}`;
  const seen: BodySeen[] = [];
  const cut: string[] = [];
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      cut.push(Buffer.concat(chunks).toString("utf8"));
      return;
    }
    const body = Buffer.concat(chunks).toString("utf8");
    seen.push({
      host: req.headers.host ?? "",
      contentLength: req.headers["content-length"],
      transferEncoding: req.headers["transfer-encoding"],
      expect: req.headers.expect,
      body,
    });
    const ok = body.includes(expected());
    res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
    res.end(ok ? '{"ok":true}\n' : '{"ok":false,"error":"invalid_auth"}\n');
  };
  const server: Server = tls === undefined ? createHttpServer(handler) : createHttpsServer(tls, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(443, address, resolve);
  });
  return { server, address, seen, cut };
}
