import { type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { EgressDecision, EgressRequest } from "./egress-policy.js";
import { event, type ProxyContext, type Sandbox } from "./proxy-context.js";
import { deniedHeader, respond, respondRaw } from "./proxy-responses.js";
import type { Target } from "./request-target.js";

/** What the proxy is about to send upstream, before the rewriter sees it. */
export interface Outgoing {
  target: Target;
  /** Upper-case method. */
  method: string;
  /** Headers as they would go upstream (hop-by-hop removed, Host set to the checked authority). */
  rawHeaders: readonly string[];
  tls: boolean;
}

export type RewriteStep =
  /** Go on with this path and these headers. */
  | { kind: "send"; pathAndQuery: string; rawHeaders: readonly string[] }
  /** The request is answered here (refused, or the rewriter failed); its event is reported. */
  | {
      kind: "answered";
      /** Answers a request served by an HTTP server. */
      answer(res: ServerResponse): void;
      /** Answers on a raw connection (a websocket upgrade) and closes it. */
      answerRaw(socket: Duplex): void;
    };

/**
 * Runs the embedder's request rewriter (credential placeholders) on an allowed request, after the
 * policy and before the upstream is contacted. Without one, the request goes as it is. A refusal
 * is answered with its status and a JSON body `{code, message}` and reported as denied; a throw
 * answers 500 and is reported, and nothing reaches the upstream either way.
 */
export async function rewriteRequest(
  ctx: ProxyContext,
  who: Sandbox,
  request: EgressRequest,
  decision: EgressDecision,
  outgoing: Outgoing,
): Promise<RewriteStep> {
  const unchanged: RewriteStep = {
    kind: "send",
    pathAndQuery: outgoing.target.pathAndQuery,
    rawHeaders: outgoing.rawHeaders,
  };
  const rewrite = ctx.rewrite;
  if (rewrite === undefined) return unchanged;
  let outcome: Awaited<ReturnType<typeof rewrite>>;
  try {
    outcome = await rewrite(who.client, {
      host: outgoing.target.host,
      port: outgoing.target.port,
      method: outgoing.method.toUpperCase(),
      pathAndQuery: outgoing.target.pathAndQuery,
      rawHeaders: outgoing.rawHeaders,
      tls: outgoing.tls,
      decision,
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    ctx.emit(event(who, request, decision, `request rewrite failed: ${why}`));
    const line = "the gateway could not prepare this request; see the gateway log";
    return {
      kind: "answered",
      answer: (res) => respond(res, 500, line),
      answerRaw: (socket) => respondRaw(socket, 500, line),
    };
  }
  if (outcome.kind === "unchanged") return unchanged;
  if (outcome.kind === "rewritten") {
    return { kind: "send", pathAndQuery: outcome.pathAndQuery, rawHeaders: outcome.rawHeaders };
  }
  const denied: EgressDecision = {
    allowed: false,
    audited: false,
    ...(decision.rule === undefined ? {} : { rule: decision.rule }),
    reason: `${outcome.code}: ${outcome.message}`,
    deniedBy: "credential",
  };
  ctx.emit(event(who, request, denied));
  const body = `${JSON.stringify({ code: outcome.code, message: outcome.message })}\n`;
  return {
    kind: "answered",
    answer: (res) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      res.writeHead(outcome.status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        [deniedHeader]: "denied",
      });
      res.end(body);
    },
    answerRaw: (socket) => {
      if (socket.destroyed || !socket.writable) return void socket.destroy();
      socket.end(
        `HTTP/1.1 ${outcome.status} ${STATUS_CODES[outcome.status] ?? ""}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n${deniedHeader}: denied\r\nconnection: close\r\n\r\n${body}`,
      );
    },
  };
}
