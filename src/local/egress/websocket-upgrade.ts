import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { EgressDecision, EgressRequest } from "./egress-policy.js";
import { event, type ProxyContext, type Sandbox } from "./proxy-context.js";
import { upstreamRequestOptions } from "./proxy-headers.js";
import { respondRaw, upstreamFailure } from "./proxy-responses.js";
import { passGate } from "./request-gate.js";
import { absoluteTarget, httpEgressRequest, type Target } from "./request-target.js";
import { deniedBy, rewriteRequest } from "./rewrite-step.js";
import { limitConnectTime } from "./socket-relay.js";
import { relayDeclinedUpgrade, spliceUpgrade } from "./upgrade-splice.js";
import { tlsOptions } from "./upstream-exchange.js";
import { untrustedUpstream } from "./upstream-trust.js";
import type { Termination } from "./websocket-client-frames.js";
import { negotiatedDeflate, safeDeflateOffer } from "./websocket-deflate.js";

const onlyWebsocket = "only websocket upgrades are proxied; send the request without Upgrade";
const extensionsHeader = "sec-websocket-extensions";
const extensionHint =
  "where the proxy resolves credentials in websocket messages it must read their frames, so the upstream " +
  "may take only the extension offer the proxy passed on (permessage-deflate without client context takeover), or none";

/** The values of header `name` (lower case) among raw header pairs. */
function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === name) values.push(rawHeaders[i + 1] as string);
  }
  return values;
}

/** The upgrade's headers with the sandbox's extension offers replaced by `offer` (none when undefined). */
function withExtensionOffer(rawHeaders: readonly string[], offer: string | undefined): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.toLowerCase() !== extensionsHeader) kept.push(name, rawHeaders[i + 1] as string);
  }
  return offer === undefined ? kept : [...kept, "Sec-WebSocket-Extensions", offer];
}

/** What the gateway log gets when the proxy ends a websocket: a refused credential is a credential denial. */
function ended(who: Sandbox, request: EgressRequest, decision: EgressDecision, end: Termination) {
  if (!end.credential)
    return event(who, request, decision, `websocket closed ${end.code} by the proxy: ${end.why}`);
  const code =
    end.reason === "credential endpoint mismatch" ? "credential_endpoint_mismatch" : "credential_unavailable";
  return event(
    who,
    request,
    deniedBy(decision, `${code}: ${end.why}`),
    `websocket closed ${end.code} by the proxy`,
  );
}

/**
 * A plain `ws://` upgrade through the proxy (`GET http://host/path` with `Upgrade: websocket`):
 * decided like a request, with the rules also asked about the client messages they cannot check
 * afterwards, then relayed frame-blind once the upstream switches protocols, except where the
 * endpoint has `websocket_credential_rewrite`: the sandbox's frames are then read and its text
 * messages' placeholders resolved (websocket-text-relay.ts). Other upgrades (h2c) are refused: the
 * proxy speaks HTTP/1.1 to upstreams.
 */
export async function forwardUpgrade(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer) {
  if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket")
    return respondRaw(socket, 400, onlyWebsocket);
  const parsed = absoluteTarget(req.url, ["http:", "ws:"]);
  if (!parsed.ok) return respondRaw(socket, 400, parsed.message);
  await upgrade(ctx, req, socket, head, { target: parsed.value, clientSocket: socket, tls: false });
}

/**
 * A websocket upgrade read inside a CONNECT tunnel (`wss://` whose TLS the proxy terminated, or
 * plain): decided and relayed as {@link forwardUpgrade} does, to the tunnel's host over TLS when
 * the tunnel's was terminated. `connection` is the tunnel's stream; `clientSocket` the sandbox's
 * TCP connection to the proxy, by which it is identified.
 */
export async function upgradeInTunnel(
  ctx: ProxyContext,
  req: IncomingMessage,
  connection: Duplex,
  head: Buffer,
  tunnel: { target: Target; clientSocket: Socket; tls: boolean },
) {
  if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket")
    return respondRaw(connection, 400, onlyWebsocket);
  await upgrade(ctx, req, connection, head, tunnel);
}

async function upgrade(
  ctx: ProxyContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  { target, clientSocket, tls }: { target: Target; clientSocket: Socket; tls: boolean },
) {
  const request = httpEgressRequest(target, req.method, true);
  const gate = await passGate(ctx, clientSocket, request);
  if (gate.to === "refusal") return respondRaw(socket, gate.status, gate.message, gate.denied);
  if (gate.to === "local") return respondRaw(socket, 400, `${target.host} takes no websocket upgrades`);
  if (socket.destroyed) return;

  const options = {
    ...upstreamRequestOptions(req, target, gate.address, true),
    // Upgraded connections leave the pool anyway; a fresh one keeps pooled sockets for requests.
    agent: false as const,
  };
  const rewritten = await rewriteRequest(ctx, gate.who, request, gate.decision, {
    target,
    method: options.method ?? "GET",
    rawHeaders: options.headers as string[],
    tls,
  });
  if (rewritten.kind === "answered") return rewritten.answerRaw(socket);
  if (socket.destroyed) return;
  // websocket_credential_rewrite: the sandbox's frames are read and its text messages rewritten.
  const rewriteText =
    gate.decision.websocketCredentialRewrite === true && ctx.websocketText !== undefined
      ? ctx.websocketText(gate.who.client, target)
      : undefined;
  options.path = rewritten.pathAndQuery;
  // As upstream, only a permessage-deflate offer whose messages can be inflated one by one goes on.
  const offer =
    rewriteText === undefined
      ? undefined
      : safeDeflateOffer(headerValues(rewritten.rawHeaders, extensionsHeader));
  options.headers =
    rewriteText === undefined ? [...rewritten.rawHeaders] : withExtensionOffer(rewritten.rawHeaders, offer);
  const upstream = tls
    ? httpsRequest({ ...options, ...tlsOptions(target.host), ...ctx.tlsTrust() })
    : httpRequest(options);
  limitConnectTime(upstream, ctx.connectTimeoutMs);
  let answered = false;
  const report = (outcome: string) => {
    if (answered) return;
    answered = true;
    ctx.emit(event(gate.who, request, gate.decision, outcome));
  };
  const onClientGone = () => upstream.destroy();
  socket.once("close", onClientGone);

  upstream.on("upgrade", (answer, upstreamSocket: Socket, upstreamHead: Buffer) => {
    socket.off("close", onClientGone);
    ctx.track(upstreamSocket);
    const negotiated =
      rewriteText === undefined
        ? { ok: true as const, deflate: false }
        : negotiatedDeflate(headerValues(answer.rawHeaders, extensionsHeader), offer);
    if (!negotiated.ok) {
      // As upstream: frames the proxy must read cannot be under an extension it did not agree to.
      upstreamSocket.destroy();
      report(`upstream ${negotiated.why}`);
      return respondRaw(socket, 502, `${target.host}:${target.port} ${negotiated.why}; ${extensionHint}`);
    }
    report(`upstream answered ${answer.statusCode}`);
    const text =
      rewriteText === undefined
        ? undefined
        : {
            rewriteText,
            deflate: negotiated.deflate,
            onEnd: (end: Termination) => ctx.emit(ended(gate.who, request, gate.decision, end)),
          };
    spliceUpgrade(socket, head, answer, upstreamSocket, upstreamHead, text);
  });
  upstream.on("response", (answer) => {
    // The upstream declined to switch: relay its answer, delimited by closing the connection.
    report(`upstream answered ${answer.statusCode} without upgrading`);
    relayDeclinedUpgrade(socket, answer);
  });
  upstream.on("error", (error) => {
    if (answered) return socket.destroy();
    const name = `${target.host}:${target.port}`;
    const untrusted = untrustedUpstream(name, error);
    const failure =
      untrusted === undefined
        ? upstreamFailure(name, error)
        : { status: 502, message: untrusted, outcome: "upstream certificate not trusted" };
    report(failure.outcome);
    respondRaw(socket, failure.status, failure.message);
  });
  upstream.end();
}
