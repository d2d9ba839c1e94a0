import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { clientResponseHeaders, headerLines } from "./proxy-headers.js";
import { adoptClientSocket, relay } from "./socket-relay.js";
import { relayWebSocketText, type TextRelayOptions } from "./websocket-text-relay.js";

/**
 * Joins a client connection to an upstream that switched protocols: the upstream's 101 (and any
 * bytes either side sent early) goes through, then both are relayed frame-blind until either ends;
 * with `text` (an endpoint with `websocket_credential_rewrite`), the client's frames are read and
 * its text messages' credential placeholders resolved on the way, the upstream's still unread.
 */
export function spliceUpgrade(
  client: Duplex,
  clientHead: Buffer,
  reply: IncomingMessage,
  upstream: Socket,
  upstreamHead: Buffer,
  text?: TextRelayOptions,
): void {
  adoptClientSocket(client);
  client.write(
    `HTTP/1.1 ${reply.statusCode} ${reply.statusMessage ?? ""}\r\n${headerLines(reply.rawHeaders)}\r\n`,
  );
  if (upstreamHead.length > 0) client.write(upstreamHead);
  if (text !== undefined) {
    relayWebSocketText(client, upstream, clientHead, text);
    return;
  }
  if (clientHead.length > 0) upstream.write(clientHead);
  relay(client, upstream);
}

/**
 * Passes on an upstream's answer to an upgrade it declined, delimited by closing the connection: the
 * client asked to leave HTTP, so the connection cannot carry another request after it.
 */
export function relayDeclinedUpgrade(client: Duplex, reply: IncomingMessage): void {
  const headers = clientResponseHeaders(reply.rawHeaders).filter((_, i, all) => {
    const name = (i % 2 === 0 ? all[i] : all[i - 1])?.toLowerCase();
    return name !== "content-length";
  });
  client.write(
    `HTTP/1.1 ${reply.statusCode} ${reply.statusMessage ?? ""}\r\n${headerLines(headers)}connection: close\r\n\r\n`,
  );
  reply.on("error", () => client.destroy());
  reply.pipe(client);
}
