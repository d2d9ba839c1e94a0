import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { applyMask, encodeFrame, parseFrameHeader } from "../../../src/local/egress/websocket-frames.js";

/** One websocket the server accepted: its path, the extensions offered, and the client's messages. */
export interface WebSocketSeen {
  path: string;
  extensions: string | undefined;
  /** Text messages as the server read them; a close frame as `close <code>`. */
  messages: string[];
}

export interface WebSocketServer {
  server: Server;
  /** The loopback address it listens on, port 443. */
  address: string;
  seen: WebSocketSeen[];
  /** Destroys the upgraded sockets (the HTTP server no longer tracks them) and closes the server. */
  close(): Promise<void>;
}

/**
 * A websocket API on a loopback address of its own, port 443 (what the github profile binds),
 * that answers each text message with a text frame `accepted` when it holds `expected()` and
 * `rejected` otherwise: the server, not the test, checks what the proxy sent. With `tls` (PEM key
 * and certificate) it speaks wss.
 */
export async function startWebSocketServer(
  expected: () => string,
  tls?: { key: string; cert: string },
): Promise<WebSocketServer> {
  const octet = (min: number) => min + Math.floor(Math.random() * 250);
  const address = `127.${octet(1)}.${octet(0)}.${octet(2)}`;
  const seen: WebSocketSeen[] = [];
  const sockets = new Set<Duplex>();
  const server: Server =
    tls === undefined
      ? createHttpServer((_q, res) => res.end())
      : createHttpsServer(tls, (_q, res) => res.end());
  server.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    const record: WebSocketSeen = {
      path: req.url ?? "",
      extensions: req.headers["sec-websocket-extensions"],
      messages: [],
    };
    seen.push(record);
    // No Sec-WebSocket-Accept check on the client's side: the sandbox's scripts do not verify it.
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const header = parseFrameHeader(buf);
        const size = header === undefined ? 0 : header.raw.length + header.payloadLength;
        if (header === undefined || buf.length < size) return;
        const payload = Buffer.from(buf.subarray(header.raw.length, size));
        buf = buf.subarray(size);
        if (header.maskKey !== undefined) applyMask(payload, header.maskKey);
        if (header.opcode === 0x8) {
          record.messages.push(`close ${payload.length >= 2 ? payload.readUInt16BE(0) : ""}`);
        } else if (header.opcode === 0x1) {
          const text = payload.toString("utf8");
          record.messages.push(text);
          socket.write(encodeFrame(0x1, Buffer.from(text.includes(expected()) ? "accepted" : "rejected")));
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(443, address, resolve);
  });
  return {
    server,
    address,
    seen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
