import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { applyMask, encodeFrame, parseFrameHeader } from "../../../src/local/egress/websocket-frames.js";
import {
  closeServer,
  type LoopbackServer,
  listenOnOwnLoopback,
  type ServerTls,
} from "./support/loopback-api-server.js";

/** One websocket the server accepted: its path, the extensions offered, and the client's messages. */
export interface WebSocketSeen {
  path: string;
  extensions: string | undefined;
  /** Text messages as the server read them; a close frame as `close <code>`. */
  messages: string[];
}

/** A websocket API on this host that demands the real token inside each text message. */
export interface WebSocketServer extends LoopbackServer {
  seen: WebSocketSeen[];
  /** Destroys the upgraded sockets (the HTTP server no longer tracks them) and closes the server. */
  close(): Promise<void>;
}

/**
 * A websocket API on a loopback address of its own, port 443, that answers each text message with
 * a text frame `accepted` when it holds `expected()` and `rejected` otherwise: the server, not the
 * test, checks what the proxy sent. With `tls` it speaks wss.
 */
export async function startWebSocketServer(
  expected: () => string,
  tls?: ServerTls,
): Promise<WebSocketServer> {
  const seen: WebSocketSeen[] = [];
  const sockets = new Set<Duplex>();
  const { server, address } = await listenOnOwnLoopback((_q, res) => res.end(), tls);
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
  return {
    server,
    address,
    seen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    },
  };
}
