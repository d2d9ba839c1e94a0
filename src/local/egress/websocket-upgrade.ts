import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { event, type ProxyContext } from "./proxy-context.js";
import { upstreamRequestOptions } from "./proxy-headers.js";
import { respondRaw, upstreamFailure } from "./proxy-responses.js";
import { passGate } from "./request-gate.js";
import { absoluteTarget, httpEgressRequest, type Target } from "./request-target.js";
import { rewriteRequest } from "./rewrite-step.js";
import { limitConnectTime } from "./socket-relay.js";
import { relayDeclinedUpgrade, spliceUpgrade } from "./upgrade-splice.js";
import { tlsOptions } from "./upstream-exchange.js";
import { untrustedUpstream } from "./upstream-trust.js";

const onlyWebsocket = "only websocket upgrades are proxied; send the request without Upgrade";

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
  options.path = rewritten.pathAndQuery;
  options.headers = [...rewritten.rawHeaders];
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
    report(`upstream answered ${answer.statusCode}`);
    spliceUpgrade(socket, head, answer, upstreamSocket, upstreamHead);
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
