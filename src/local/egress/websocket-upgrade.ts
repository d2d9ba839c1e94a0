import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { event, type ProxyContext } from "./proxy-context.js";
import { clientResponseHeaders, headerLines, upstreamRequestOptions } from "./proxy-headers.js";
import { respondRaw, upstreamFailure } from "./proxy-responses.js";
import { passGate } from "./request-gate.js";
import { absoluteTarget, httpEgressRequest } from "./request-target.js";
import { adoptClientSocket, limitConnectTime, relay } from "./socket-relay.js";

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
    adoptClientSocket(socket);
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${answer.statusMessage ?? ""}\r\n${headerLines(answer.rawHeaders)}\r\n`,
    );
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    relay(socket, upstreamSocket);
  });
  upstream.on("response", (answer) => {
    // The upstream declined to switch: relay its answer, delimited by closing the connection.
    report(`upstream answered ${answer.statusCode} without upgrading`);
    const headers = clientResponseHeaders(answer.rawHeaders).filter((_, i, all) => {
      const name = (i % 2 === 0 ? all[i] : all[i - 1])?.toLowerCase();
      return name !== "content-length";
    });
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${answer.statusMessage ?? ""}\r\n${headerLines(headers)}connection: close\r\n\r\n`,
    );
    answer.on("error", () => socket.destroy());
    answer.pipe(socket);
  });
  upstream.on("error", (error) => {
    if (answered) return socket.destroy();
    const failure = upstreamFailure(`${target.host}:${target.port}`, error);
    report(failure.outcome);
    respondRaw(socket, failure.status, failure.message);
  });
  upstream.end();
}
