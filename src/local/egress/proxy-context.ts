import type { Agent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { SecureContext } from "node:tls";
import type { EgressDecision, EgressRequest } from "./egress-policy.js";
import type { EgressClient, EgressEvent, LocalService } from "./egress-types.js";
import type { LeafCertificates } from "./leaf-certificates.js";
import type { RequestRewriter } from "./request-rewrite.js";
import type { InspectedTunnel } from "./tunnel-server.js";
import type { AdmissionContext } from "./upstream-admission.js";
import type { WebSocketTextRewriter } from "./websocket-text-relay.js";

/** Who a connection is: a sandbox, or why it is refused. */
export type Identified =
  | { client: EgressClient; remoteAddress: string }
  | { client: undefined; remoteAddress: string; status: 403 | 503; reason: string };

/** A connection identified as a sandbox's. */
export type Sandbox = Extract<Identified, { client: EgressClient }>;

/** What the request, CONNECT and upgrade handlers share with the proxy that runs them. */
export interface ProxyContext extends AdmissionContext {
  /** Keep-alive pool for plain HTTP upstreams. */
  readonly agent: Agent;
  /** Keep-alive pool for TLS upstreams (requests out of terminated TLS), made on first use. */
  tlsAgent(): HttpsAgent;
  /** Trust for TLS upstreams outside the pool (websocket upgrades, non-HTTP relays). */
  tlsTrust(): { secureContext: SecureContext; rejectUnauthorized: true };
  /** Called for every allowed HTTP request before the upstream is contacted. */
  readonly rewrite: RequestRewriter | undefined;
  /** Resolves placeholders in websocket text messages, on endpoints with `websocket_credential_rewrite`. */
  readonly websocketText: WebSocketTextRewriter | undefined;
  /** Certificates for terminating sandboxes' TLS; undefined when the proxy has no CA (TLS relayed unread). */
  readonly leaves: LeafCertificates | undefined;
  /** Serves the HTTP requests inside a tunnel the proxy looks into (decrypted, or plain). */
  serveTunnel(connection: Duplex, tunnel: InspectedTunnel): void;
  readonly connectTimeoutMs: number;
  /** Keyed by lower-case host name. */
  readonly localServices: ReadonlyMap<string, LocalService> | undefined;
  identify(socket: Socket): Promise<Identified>;
  emit(event: EgressEvent): void;
  /** Destroyed by close(): upstream sockets of tunnels and upgrades. */
  track(socket: Duplex): void;
  /** Serves the HTTP requests of a CONNECT to a local service (`stream` is plain or decrypted). */
  serveLocal(stream: Duplex, client: EgressClient, service: LocalService): void;
}

/** The decision a local service's host gets: always allowed, before any policy. */
export function localServiceDecision(host: string): EgressDecision {
  return { allowed: true, audited: false, reason: `${host} is answered by the gateway itself` };
}

/** The decision an unidentified connection gets. */
export function unidentifiedDecision(reason: string): EgressDecision {
  return { allowed: false, audited: false, reason };
}

export function event(
  who: Identified,
  request: EgressRequest,
  decision: EgressDecision,
  outcome?: string,
): EgressEvent {
  // Built without spreads: one of these is made for every request.
  const made: EgressEvent = { remoteAddress: who.remoteAddress, request, decision };
  if (who.client !== undefined) made.client = who.client;
  if (outcome !== undefined) made.outcome = outcome;
  return made;
}
