import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { event, type ProxyContext } from "./proxy-context.js";
import { clientResponseHeaders, upstreamRequestOptions } from "./proxy-headers.js";
import { respond, upstreamFailure } from "./proxy-responses.js";
import { passGate } from "./request-gate.js";
import { absoluteTarget, httpEgressRequest } from "./request-target.js";
import { limitConnectTime } from "./socket-relay.js";

/** The proxy's own request headers, removed before a local service sees the request. */
const proxyHeaders = ["proxy-authorization", "proxy-connection"];

/**
 * A plain HTTP request with an absolute URI: identified, decided, and forwarded over the keep-alive
 * pool with bodies streamed both ways; or answered by a local service; or refused with a line
 * saying why. Exactly one event per request, once the upstream has answered or failed.
 */
export async function forwardRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  res.on("error", () => res.destroy());
  const parsed = absoluteTarget(req.url);
  if (!parsed.ok) return respond(res, 400, parsed.message);
  const target = parsed.value;
  const request = httpEgressRequest(target, req.method, false);

  const gate = await passGate(ctx, req.socket, request);
  if (gate.to === "refusal") return respond(res, gate.status, gate.message, gate.denied);
  if (gate.to === "local") {
    req.url = target.pathAndQuery;
    for (const name of proxyHeaders) delete req.headers[name];
    gate.service.handle(req, res, gate.who.client);
    return;
  }
  if (res.destroyed) return; // the client gave up while the host was resolved

  const upstream = httpRequest({
    ...upstreamRequestOptions(req, target, gate.address, false),
    agent: ctx.agent,
  });
  limitConnectTime(upstream, ctx.connectTimeoutMs);
  let reported = false;
  const report = (outcome: string) => {
    if (reported) return;
    reported = true;
    ctx.emit(event(gate.who, request, gate.decision, outcome));
  };

  upstream.on("response", (answer) => {
    report(`upstream answered ${answer.statusCode}`);
    answer.on("error", () => res.destroy());
    answer.on("aborted", () => res.destroy());
    if (res.destroyed) return upstream.destroy();
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, clientResponseHeaders(answer.rawHeaders));
    answer.pipe(res);
  });
  upstream.on("error", (error) => {
    const failure = upstreamFailure(`${target.host}:${target.port}`, error);
    report(failure.outcome);
    // Once the answer has begun, the only honest way to say it broke is to cut the connection.
    if (res.headersSent) res.destroy();
    else if (!res.destroyed) respond(res, failure.status, failure.message);
  });
  // The client went away (or aborted its upload): the upstream exchange has no one to serve.
  req.on("error", () => upstream.destroy());
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  // Idle only because the upstream is slow to answer: wait. Stalled mid-upload: give up.
  res.on("timeout", () => {
    if (!req.complete) req.socket.destroy();
  });
  req.pipe(upstream);
}
