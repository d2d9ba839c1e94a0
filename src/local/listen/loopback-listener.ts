import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import { type AddressInfo, isIPv6, type Socket } from "node:net";
import { isLoopbackHost } from "../../connect/discovery/plaintext-guard.js";
import { InvalidArgumentError } from "../../errors.js";
import type { GatewayCertificates } from "./gateway-certificates.js";

/** What `connectNodeAdapter()` from @connectrpc/connect-node returns, as the HTTP/2 server calls it. */
export type GatewayRequestHandler = (request: Http2ServerRequest, response: Http2ServerResponse) => void;

export interface MtlsListenOptions {
  /**
   * Address to bind. Default `127.0.0.1`. Only loopback (127.0.0.0/8, `::1`, `localhost`) is allowed
   * unless {@link allowNonLoopback} is set.
   */
  host?: string;
  /** TCP port; default 0, a free port chosen by the system (read it from the result). */
  port?: number;
  /** From `ensureGatewayCertificates()`: the server presents `server`, and clients must present a certificate signed by `ca`. */
  certificates: GatewayCertificates;
  /**
   * Listen on a non-loopback address. Clients still need the client certificate, but the gateway can
   * then be reached from other machines, and the server certificate names only loopback hosts, so
   * those clients must set the TLS server name to `localhost`.
   */
  allowNonLoopback?: boolean;
  /** How long `close()` lets open calls finish before cutting them off. Default 2000. */
  closeGraceMs?: number;
}

/** A listening gateway. */
export interface MtlsListener extends AsyncDisposable {
  /** The URL local clients dial, e.g. `https://127.0.0.1:41234` (a wildcard bind reports loopback). */
  endpoint: string;
  port: number;
  /**
   * Stops accepting connections, tells connected clients to finish (HTTP/2 GOAWAY), cuts off what is
   * still open after the grace period, and resolves once the server is closed. Safe to call twice.
   */
  close(): Promise<void>;
}

const defaultCloseGraceMs = 2000;

/**
 * Serves `handler` over HTTP/2 with mutual TLS: every client must present a certificate signed by
 * the gateway's CA, so a process on the same machine that cannot read the client key cannot use the
 * gateway. There is deliberately no plaintext mode.
 *
 * @throws InvalidArgumentError for a non-loopback `host` without `allowNonLoopback`, or a bad `port`.
 */
export async function listenWithMtls(
  handler: GatewayRequestHandler,
  options: MtlsListenOptions,
): Promise<MtlsListener> {
  const host = checkHost(options.host ?? "127.0.0.1", options.allowNonLoopback === true);
  const port = checkPort(options.port ?? 0);
  const { certificates } = options;

  const server = createSecureServer(
    {
      key: certificates.server.key,
      cert: certificates.server.cert,
      ca: certificates.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      ALPNProtocols: ["h2"],
      allowHTTP1: false,
    },
    handler,
  );
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // Raw sockets too: one stuck in the TLS handshake has no session yet but would keep close() waiting.
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const endpoint = `https://${urlHost(reachableAddress(address.address))}:${address.port}`;

  const closeGraceMs = options.closeGraceMs ?? defaultCloseGraceMs;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, closeGraceMs);
      });
      await Promise.race([closed, grace]);
      clearTimeout(timer);
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    })();
    return closing;
  };

  return { endpoint, port: address.port, close, [Symbol.asyncDispose]: close };
}

function checkHost(raw: string, allowNonLoopback: boolean): string {
  // `[::1]` is how people write IPv6 in URLs; listen() wants it bare.
  const host = raw.trim().replace(/^\[(.*)\]$/, "$1");
  if (host === "") {
    throw new InvalidArgumentError("host is empty: leave it out to listen on 127.0.0.1.", { field: "host" });
  }
  if (isLoopbackHost(host) || allowNonLoopback) return host;
  throw new InvalidArgumentError(
    `refusing to listen on ${JSON.stringify(raw)}: the local gateway listens only on loopback ` +
      "(127.0.0.1, ::1 or localhost) so that other machines cannot reach it. To accept connections from " +
      "other machines anyway (clients still need the client certificate), pass `allowNonLoopback: true`.",
    { field: "host" },
  );
}

function checkPort(port: number): number {
  if (Number.isInteger(port) && port >= 0 && port <= 65_535) return port;
  throw new InvalidArgumentError(
    `port ${port} is not a TCP port: use an integer from 1 to 65535, or 0 (the default) for any free port.`,
    { field: "port" },
  );
}

/** A wildcard bind cannot be dialled everywhere; its loopback address can, and the certificate names it. */
function reachableAddress(bound: string): string {
  if (bound === "0.0.0.0") return "127.0.0.1";
  if (bound === "::") return "::1";
  return bound;
}

function urlHost(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}
