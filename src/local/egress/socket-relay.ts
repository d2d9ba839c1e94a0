import type { ClientRequest } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { DialTimeoutError } from "./proxy-responses.js";

/** Idle connections are probed so a peer that vanished (container killed) is noticed. */
const keepAliveProbeMs = 30_000;

/**
 * Connects to `address:port`, failing with {@link DialTimeoutError} after `timeoutMs`. Half-open is
 * allowed so a client that has finished sending still gets the rest of the answer.
 */
export function dial(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => socket.destroy(new DialTimeoutError(timeoutMs)), timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.setKeepAlive(true, keepAliveProbeMs);
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Fails `request` with {@link DialTimeoutError} when its connection is not up within `timeoutMs`. */
export function limitConnectTime(request: ClientRequest, timeoutMs: number): void {
  request.once("socket", (socket: Socket) => {
    if (!socket.connecting) return; // a kept-alive connection
    const timer = setTimeout(() => request.destroy(new DialTimeoutError(timeoutMs)), timeoutMs);
    socket.once("connect", () => clearTimeout(timer));
    request.once("close", () => clearTimeout(timer));
  });
}

/**
 * Pipes `client` and `upstream` into each other until both are done. An end in one direction is
 * passed on as an end (half-close); an error or reset on either side destroys both, and so does the
 * client going away entirely. Both must already have 'error' listeners or get them here.
 */
export function relay(client: Duplex, upstream: Duplex): void {
  const destroyBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", destroyBoth);
  upstream.on("error", destroyBoth);
  client.once("close", () => upstream.destroy());
  // A clean close has already passed on its end through the pipe; only an abrupt one cuts the client.
  upstream.once("close", (hadError: boolean) => {
    if (hadError || !upstream.readableEnded) client.destroy();
  });
  client.pipe(upstream);
  upstream.pipe(client);
}

/** Sets up a client socket a CONNECT or upgrade took over from the HTTP server. */
export function adoptClientSocket(socket: Duplex): void {
  const s = socket as Socket;
  // The HTTP server's idle timeout is for requests; a tunnel may rightly sit idle for long.
  s.setTimeout?.(0);
  s.setNoDelay?.(true);
  s.setKeepAlive?.(true, keepAliveProbeMs);
}
