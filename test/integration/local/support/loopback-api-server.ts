import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";

/** PEM key and certificate a test API serves HTTPS with. */
export interface ServerTls {
  key: string;
  cert: string;
}

/** A test API listening on port 443 of a loopback address of its own. */
export interface LoopbackServer {
  server: Server;
  /** The loopback address it listens on, port 443: what a gateway's `egressHosts` maps names to. */
  address: string;
}

/**
 * Starts `handler` on port 443 (what the github profile binds) of a random address in 127/8 (all
 * of it is this host's), so another suite's server, running at the same time, cannot already hold
 * that port there. With `tls` it speaks HTTPS.
 */
export async function listenOnOwnLoopback(
  handler: RequestListener,
  tls?: ServerTls,
): Promise<LoopbackServer> {
  const octet = (min: number) => min + Math.floor(Math.random() * 250);
  const address = `127.${octet(1)}.${octet(0)}.${octet(2)}`;
  const server: Server = tls === undefined ? createHttpServer(handler) : createHttpsServer(tls, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(443, address, resolve);
  });
  return { server, address };
}

/** Closes a server once its connections are done (a test's afterAll). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
