import {
  closeServer,
  type LoopbackServer,
  listenOnOwnLoopback,
  type ServerTls,
} from "./support/loopback-api-server.js";

/** A test API on this host that demands a bearer token, reached by the proxy under profile names. */
export interface TokenServer extends LoopbackServer {
  /** The Authorization header of each request, in order. */
  seen: string[];
  close(): Promise<void>;
}

/**
 * Starts the API on a loopback address of its own, port 443, answering 200 with a GitHub-like user
 * when the request's Authorization is `Bearer expected()` and 401 otherwise. With `tls` it speaks
 * HTTPS.
 */
export async function startTokenServer(expected: () => string, tls?: ServerTls): Promise<TokenServer> {
  const seen: string[] = [];
  const { server, address } = await listenOnOwnLoopback((req, res) => {
    const auth = req.headers.authorization ?? "";
    seen.push(auth);
    const ok = auth === `Bearer ${expected()}`;
    res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
    res.end(ok ? `{"login":"octocat","host":"${req.headers.host}"}\n` : '{"message":"Bad credentials"}\n');
  }, tls);
  return { server, address, seen, close: () => closeServer(server) };
}
