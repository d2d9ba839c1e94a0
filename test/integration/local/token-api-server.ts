import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";

/** A test API on this host that demands a bearer token, reached by the proxy under profile names. */
export interface TokenServer {
  server: Server;
  /** The loopback address it listens on, port 443. */
  address: string;
  /** The Authorization header of each request, in order. */
  seen: string[];
}

/**
 * Starts the API on a loopback address of its own (all of 127/8 is this host's): port 443 is what
 * the github profile binds, and another suite's server cannot already hold it there. With `tls`
 * (PEM key and certificate) it speaks HTTPS.
 */
export async function startTokenServer(
  expected: () => string,
  tls?: { key: string; cert: string },
): Promise<TokenServer> {
  const octet = (min: number) => min + Math.floor(Math.random() * 250);
  const address = `127.${octet(1)}.${octet(0)}.${octet(2)}`;
  const seen: string[] = [];
  const handler: Parameters<typeof createHttpServer>[1] = (req, res) => {
    const auth = req.headers.authorization ?? "";
    seen.push(auth);
    const ok = auth === `Bearer ${expected()}`;
    res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
    res.end(ok ? `{"login":"octocat","host":"${req.headers.host}"}\n` : '{"message":"Bad credentials"}\n');
  };
  const server: Server = tls === undefined ? createHttpServer(handler) : createHttpsServer(tls, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(443, address, resolve);
  });
  return { server, address, seen };
}
