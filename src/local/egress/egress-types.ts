import type * as http from "node:http";
import type { SandboxBinaries } from "./binary-rules.js";
import type { EgressDecision, EgressPolicy, EgressRequest } from "./egress-policy.js";

/** The sandbox a connection comes from, and the policy that applies to it now. */
export interface EgressClient {
  sandboxId: string;
  sandboxName: string;
  policy: EgressPolicy;
  /** The policy's rules with `binaries`, checked against the connecting process; absent when none. */
  binaries?: SandboxBinaries;
}

/**
 * One decision of the proxy, for the gateway's log. It never carries request headers, bodies or
 * query strings (`request.path` is the path alone): those may hold credentials.
 */
export interface EgressEvent {
  /** Undefined when the connection came from no known sandbox. */
  client?: EgressClient;
  remoteAddress: string;
  request: EgressRequest;
  decision: EgressDecision;
  /** when allowed: status or error of the upstream */
  outcome?: string;
  /** True for a request that came out of TLS the proxy terminated (an `https://` request). */
  tls?: boolean;
}

/**
 * A service the gateway answers itself (inference.local): plain HTTP requests go to `handle`; a
 * CONNECT to the host is terminated with `tls` (PEM key+cert for that host) and the decrypted HTTP
 * requests go to `handle` too. `req.url` is always origin-form (`/v1/chat?x=1`), and the proxy's
 * own headers (Proxy-Authorization, Proxy-Connection) are removed first. Without `tls`, a CONNECT
 * to the host carries plain HTTP.
 */
export interface LocalService {
  handle(req: http.IncomingMessage, res: http.ServerResponse, client: EgressClient): void;
  tls?: { key: string; cert: string };
}
