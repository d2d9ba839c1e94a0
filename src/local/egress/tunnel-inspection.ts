import type { Socket } from "node:net";
import { type SecureContext, TLSSocket, connect as tlsConnect } from "node:tls";
import type { EgressRequest } from "./egress-policy.js";
import { firstWord, isHttpRequestStart, isTlsClientHello } from "./first-bytes.js";
import { normalizeHost } from "./host-pattern.js";
import { event, type ProxyContext } from "./proxy-context.js";
import { upstreamFailure } from "./proxy-responses.js";
import type { Gate } from "./request-gate.js";
import { dial, relay } from "./socket-relay.js";
import { tlsServername } from "./upstream-exchange.js";
import { untrustedUpstream } from "./upstream-trust.js";

/** An allowed CONNECT whose tunnel is open (`200 Connection Established` sent). */
export interface OpenTunnel {
  gate: Extract<Gate, { to: "upstream" }>;
  request: EgressRequest;
  host: string;
  port: number;
}

/**
 * What the proxy does with an open tunnel that is not `tls: skip`, as the upstream supervisor does:
 * it waits for the first bytes. A TLS ClientHello is terminated with a certificate for the SNI name
 * (the CONNECT host without one) from the gateway's egress CA, and the HTTP/1.1 requests inside are
 * checked and forwarded one by one over TLS checked strictly (what is not HTTP is relayed to the
 * upstream over TLS). Plain bytes to an endpoint with L7 rules are parsed as HTTP, so the rules
 * cannot be sidestepped; to other endpoints, and when the upstream speaks first (a server-first
 * protocol), the tunnel is relayed as it is. `upstream` is the connection dialed for the CONNECT.
 */
export async function inspectTunnel(
  ctx: ProxyContext,
  tunnel: OpenTunnel,
  client: Socket,
  upstream: Socket,
): Promise<void> {
  const l7 = tunnel.gate.decision.tunnel === "l7";
  const word = await firstWord(client, l7 ? undefined : upstream);
  if (word.from === "none") {
    client.destroy();
    upstream.destroy();
    return;
  }
  if (word.from === "upstream") return relay(client, upstream);
  const inspected = { host: tunnel.host, port: tunnel.port, clientSocket: client };
  if (!isTlsClientHello(word.bytes)) {
    if (!l7) return relay(client, upstream);
    upstream.destroy();
    ctx.serveTunnel(client, { ...inspected, tls: false });
    return;
  }
  const leaves = ctx.leaves;
  if (leaves === undefined) {
    if (!l7) return relay(client, upstream);
    // Without a CA the requests inside cannot be read, so rules that limit them cannot be kept.
    report(
      ctx,
      tunnel,
      "refused: TLS to an endpoint with L7 rules, and this gateway has no egress CA to terminate it",
    );
    client.destroy();
    upstream.destroy();
    return;
  }
  upstream.destroy();
  const secure = await terminate(ctx, tunnel, client);
  if (secure === undefined) return;
  if (l7) return ctx.serveTunnel(secure, { ...inspected, tls: true });
  const inner = await firstWord(secure, undefined);
  if (inner.from !== "client") return void secure.destroy();
  if (isHttpRequestStart(inner.bytes)) return ctx.serveTunnel(secure, { ...inspected, tls: true });
  await relayOverTls(ctx, tunnel, secure);
}

/** The sandbox's TLS, decrypted with a certificate for its SNI name (or the CONNECT host). */
async function terminate(
  ctx: ProxyContext,
  tunnel: OpenTunnel,
  client: Socket,
): Promise<TLSSocket | undefined> {
  const leaves = ctx.leaves;
  if (leaves === undefined) return undefined;
  let context: Awaited<ReturnType<typeof leaves.context>>;
  try {
    context = await leaves.context(tunnel.host);
  } catch (error) {
    report(ctx, tunnel, `no certificate could be issued for ${tunnel.host}: ${(error as Error).message}`);
    client.destroy();
    return undefined;
  }
  const secure = new TLSSocket(client, {
    isServer: true,
    secureContext: context,
    // HTTP/2 is not offered: the proxy reads HTTP/1.1, and clients fall back to it.
    ALPNProtocols: ["http/1.1"],
    SNICallback: (name, done) => {
      const host = normalizeHost(name);
      if (host === tunnel.host) return done(null, context);
      leaves.context(host).then(
        (other: SecureContext) => done(null, other),
        (error: Error) => done(error),
      );
    },
  });
  let established = false;
  let failure = "the sandbox closed the connection";
  secure.once("secure", () => {
    established = true;
  });
  secure.on("error", (error) => {
    failure = error.message;
    secure.destroy();
  });
  secure.once("close", () => {
    // A client that rejects the certificate sends an alert and closes: no error on this side.
    if (established) return;
    report(
      ctx,
      tunnel,
      `TLS handshake with the sandbox failed (${failure}); its tools must trust the gateway's egress CA ` +
        "(SSL_CERT_FILE, NODE_EXTRA_CA_CERTS)",
    );
  });
  client.once("close", () => secure.destroy());
  secure.once("close", () => client.destroy());
  return secure;
}

/** What is not HTTP inside terminated TLS goes on to the upstream over TLS, checked strictly. */
async function relayOverTls(ctx: ProxyContext, tunnel: OpenTunnel, secure: TLSSocket): Promise<void> {
  const { host, port, gate } = tunnel;
  let raw: Socket;
  try {
    raw = await dial(gate.address, port, ctx.connectTimeoutMs);
  } catch (error) {
    report(ctx, tunnel, upstreamFailure(`${host}:${port}`, error).outcome);
    secure.destroy();
    return;
  }
  ctx.track(raw);
  const servername = tlsServername(host);
  const upstream = tlsConnect({
    socket: raw,
    ...(servername === undefined ? {} : { servername }),
    ...ctx.tlsTrust(),
  });
  ctx.track(upstream);
  let connected = false;
  upstream.once("secureConnect", () => {
    connected = true;
    relay(secure, upstream);
  });
  upstream.once("error", (error) => {
    if (!connected) {
      report(
        ctx,
        tunnel,
        untrustedUpstream(`${host}:${port}`, error) ?? upstreamFailure(`${host}:${port}`, error).outcome,
      );
      secure.destroy();
    }
  });
}

/** A second event for the CONNECT: what became of its tunnel after it opened. */
function report(ctx: ProxyContext, tunnel: OpenTunnel, outcome: string): void {
  ctx.emit(event(tunnel.gate.who, tunnel.request, tunnel.gate.decision, outcome));
}
