import type { IncomingMessage, ServerResponse } from "node:http";
import type { ProxyContext } from "./proxy-context.js";
import { respond } from "./proxy-responses.js";
import { passGate } from "./request-gate.js";
import { absoluteTarget, httpEgressRequest } from "./request-target.js";
import { exchange } from "./upstream-exchange.js";

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
  await exchange(ctx, req, res, { gate, request, target, tls: false });
}
