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
import { rewriteRequest } from "./rewrite-step.js";
import { limitConnectTime } from "./socket-relay.js";
import { relayDeclinedUpgrade, spliceUpgrade } from "./upgrade-splice.js";
import { tlsOptions } from "./upstream-exchange.js";
import { untrustedUpstream } from "./upstream-trust.js";
import type { Termination } from "./websocket-client-frames.js";

const onlyWebsocket = "only websocket upgrades are proxied; send the request without Upgrade";
const unofferedExtension =
  "answered the websocket upgrade with an extension the proxy did not offer (it offers none where it " +
  "resolves credentials in messages, as their frames must be read): the upstream must accept a websocket without one";

/** The upgrade's headers without Sec-WebSocket-Extensions: upstream drops the offers it cannot read frames under. */
function withoutExtensions(rawHeaders: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.toLowerCase() !== "sec-websocket-extensions") kept.push(name, rawHeaders[i + 1] as string);
  }
  return kept;
}

/** What the gateway log gets when the proxy ends a websocket: a refused credential is a credential denial. */
function ended(who: Sandbox, request: EgressRequest, decision: EgressDecision, end: Termination) {
  if (!end.credential)
    return event(who, request, decision, `websocket closed ${end.code} by the proxy: ${end.why}`);
  const code =
    end.reason === "credential endpoint mismatch" ? "credential_endpoint_mismatch" : "credential_unavailable";
  const denied: EgressDecision = {
    allowed: false,
    audited: false,
    ...(decision.rule === undefined ? {} : { rule: decision.rule }),
    reason: `${code}: ${end.why}`,
    deniedBy: "credential",
  };
  return event(who, request, denied, `websocket closed ${end.code} by the proxy`);
}

/**
 * A plain `ws://` upgrade through the proxy (`GET http://host/path` with `Upgrade: websocket`):
 * decided like a request, with the rules also asked about the client messages it cannot read
 * afterwards, then relayed frame-blind once the upstream switches protocols. Other upgrades (h2c)
 * are refused: the proxy speaks HTTP/1.1 to upstreams.
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
  // websocket_credential_rewrite: the sandbox's frames are read, so no extension may change them.
  const rewriteText =
    gate.decision.websocketCredentialRewrite === true && ctx.websocketText !== undefined
      ? ctx.websocketText(gate.who.client, target)
      : undefined;
  options.path = rewritten.pathAndQuery;
  options.headers =
    rewriteText === undefined ? [...rewritten.rawHeaders] : withoutExtensions(rewritten.rawHeaders);
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
    if (rewriteText !== undefined && answer.headers["sec-websocket-extensions"] !== undefined) {
      // As upstream: an extension the proxy did not offer could compress frames it must read.
      upstreamSocket.destroy();
      report("upstream negotiated a websocket extension the proxy did not offer");
      return respondRaw(socket, 502, `${target.host}:${target.port} ${unofferedExtension}`);
    }
    report(`upstream answered ${answer.statusCode}`);
    const text =
      rewriteText === undefined
        ? undefined
        : {
            rewriteText,
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
