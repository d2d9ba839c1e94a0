import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import type { EgressRequest } from "./egress-policy.js";
import { event, type ProxyContext } from "./proxy-context.js";
import { clientResponseHeaders, upstreamRequestOptions } from "./proxy-headers.js";
import { respond, upstreamFailure } from "./proxy-responses.js";
import type { Gate } from "./request-gate.js";
import type { Target } from "./request-target.js";
import { guardedBody, rewriteRequest } from "./rewrite-step.js";
import { limitConnectTime } from "./socket-relay.js";
import { untrustedUpstream } from "./upstream-trust.js";

/** An allowed request on its way out: the gate's answer and what was asked. */
export interface Allowed {
  gate: Extract<Gate, { to: "upstream" }>;
  request: EgressRequest;
  target: Target;
  /** Whether the request came out of TLS the proxy terminated (and so goes upstream over TLS). */
  tls: boolean;
}

/**
 * Sends an allowed request upstream and its answer back: the request rewriter first (which may
 * change path and headers, or refuse), then the keep-alive pool for the scheme (TLS upstreams
 * checked strictly), bodies streamed both ways. Exactly one event, once the upstream has answered
 * or failed, or the rewriter refused.
 */
export async function exchange(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  allowed: Allowed,
): Promise<void> {
  const { gate, request, target, tls } = allowed;
  const options = upstreamRequestOptions(req, target, gate.address, false);
  const rewritten = await rewriteRequest(ctx, gate.who, request, gate.decision, {
    target,
    method: options.method ?? "GET",
    rawHeaders: options.headers as string[],
    tls,
    source: req,
  });
  if (rewritten.kind === "answered") return rewritten.answer(res);
  if (res.destroyed) return; // the client gave up while the rewriter ran
  options.path = rewritten.pathAndQuery;
  options.headers = rewritten.rawHeaders as string[];

  const upstream = tls
    ? httpsRequest({ ...options, ...tlsOptions(target.host), agent: ctx.tlsAgent() })
    : httpRequest({ ...options, agent: ctx.agent });
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
    const name = `${target.host}:${target.port}`;
    const untrusted = untrustedUpstream(name, error);
    const failure =
      untrusted === undefined
        ? upstreamFailure(name, error)
        : {
            status: 502,
            message: untrusted,
            outcome: `upstream certificate not trusted: ${errorCode(error)}`,
          };
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
  // A body the rewrite step read whole (request_body_credential_rewrite) goes as one piece.
  if (rewritten.body !== undefined) upstream.end(rewritten.body);
  else if (rewritten.guardBody !== true) req.pipe(upstream);
  else {
    const guard = guardedBody(ctx, gate.who, request, gate.decision, () => {
      reported = true; // the guard reported the request denied
      upstream.destroy();
      res.destroy();
    });
    req.pipe(guard).pipe(upstream);
  }
}

/** TLS to an upstream for HTTP: SNI and the certificate check are for the host the policy allowed. */
export function tlsOptions(host: string): { servername?: string; ALPNProtocols: string[] } {
  const servername = tlsServername(host);
  return servername === undefined
    ? { ALPNProtocols: ["http/1.1"] }
    : { servername, ALPNProtocols: ["http/1.1"] };
}

/** SNI carries names only; an IP literal is checked against the certificate's IP addresses. */
export function tlsServername(host: string): string | undefined {
  return isIP(host) === 0 ? host : undefined;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
