import type { IncomingMessage, ServerResponse } from "node:http";
import {
  closeServer,
  type LoopbackServer,
  listenOnOwnLoopback,
  type ServerTls,
} from "./support/loopback-api-server.js";

/** One request the API received: its Host, framing and whole body. */
export interface BodySeen {
  host: string;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
  expect: string | undefined;
  body: string;
}

/** A test API on this host that demands the real token inside each request's body. */
export interface BodyServer extends LoopbackServer {
  seen: BodySeen[];
  /** What arrived of each request whose connection closed before its body ended. */
  cut: string[];
  close(): Promise<void>;
}

/**
 * Starts an API on a loopback address of its own, port 443, that answers 200 `{"ok":true}` when
 * the body holds `expected()` and 401 otherwise: the server, not the test, checks what the proxy
 * sent. With `tls` it speaks HTTPS.
 */
export async function startBodyServer(expected: () => string, tls?: ServerTls): Promise<BodyServer> {
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
  const { server, address } = await listenOnOwnLoopback(handler, tls);
  return { server, address, seen, cut, close: () => closeServer(server) };
}
