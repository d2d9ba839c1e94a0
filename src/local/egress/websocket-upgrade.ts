import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { event, type ProxyContext } from "./proxy-context.js";
import { upstreamRequestOptions } from "./proxy-headers.js";
import { respondRaw, upstreamFailure } from "./proxy-responses.js";
import { passGate } from "./request-gate.js";
import { absoluteTarget, httpEgressRequest } from "./request-target.js";
import { limitConnectTime } from "./socket-relay.js";
import { relayDeclinedUpgrade, spliceUpgrade } from "./upgrade-splice.js";

/**
 * A plain `ws://` upgrade through the proxy (`GET http://host/path` with `Upgrade: websocket`):
 * decided like a request, with the rules also asked about the client messages it cannot read
 * afterwards, then relayed frame-blind once the upstream switches protocols. Other upgrades (h2c)
 * are refused: the proxy speaks HTTP/1.1 to upstreams.
 */
export async function forwardUpgrade(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer) {
  if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
    return respondRaw(socket, 400, "only websocket upgrades are proxied; send the request without Upgrade");
  }
  const parsed = absoluteTarget(req.url, ["http:", "ws:"]);
  if (!parsed.ok) return respondRaw(socket, 400, parsed.message);
  const target = parsed.value;
  const request = httpEgressRequest(target, req.method, true);

  const gate = await passGate(ctx, socket, request);
  if (gate.to === "refusal") return respondRaw(socket, gate.status, gate.message, gate.denied);
  if (gate.to === "local") return respondRaw(socket, 400, `${target.host} takes no websocket upgrades`);
  if (socket.destroyed) return;

  const upstream = httpRequest({
    ...upstreamRequestOptions(req, target, gate.address, true),
    // Upgraded connections leave the pool anyway; a fresh one keeps pooled sockets for requests.
    agent: false,
  });
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
    const failure = upstreamFailure(`${target.host}:${target.port}`, error);
    report(failure.outcome);
    respondRaw(socket, failure.status, failure.message);
  });
  upstream.end();
}
