import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex, Transform } from "node:stream";
import { MAX_REWRITE_BODY_BYTES } from "../credentials/body-rewrite.js";
import { BodyMarkerError, bodyMarkerGuard } from "./body-marker-guard.js";
import type { EgressDecision, EgressRequest } from "./egress-policy.js";
import { event, type ProxyContext, type Sandbox } from "./proxy-context.js";
import { deniedHeader, respond, respondRaw } from "./proxy-responses.js";
import { hasBody, readRequestBody } from "./request-body.js";
import type { RewriteOutcome } from "./request-rewrite.js";
import type { Target } from "./request-target.js";

/** What the proxy is about to send upstream, before the rewriter sees it. */
export interface Outgoing {
  target: Target;
  /** Upper-case method. */
  method: string;
  /** Headers as they would go upstream (hop-by-hop removed, Host set to the checked authority). */
  rawHeaders: readonly string[];
  tls: boolean;
  /**
   * The request itself, whose body is read (at most 256 KiB) and shown to the rewriter when the
   * allowing endpoint has `request_body_credential_rewrite`; without it the body is never read.
   */
  source?: IncomingMessage;
}

export type RewriteStep =
  /**
   * Go on with this path and these headers; `body`, when set, is the whole body to send (read from
   * the client already; `rawHeaders` carry its Content-Length), else the body streams as it comes.
   */
  | {
      kind: "send";
      pathAndQuery: string;
      rawHeaders: readonly string[];
      body?: Buffer;
      /**
       * Stream the body through {@link guardedBody} (upstream's backstop for bodies it does not
       * rewrite, armed only for a sandbox that holds credentials).
       */
      guardBody?: true;
    }
  /** The request is answered here (refused, or the rewriter failed); its event is reported. */
  | {
      kind: "answered";
      /** Answers a request served by an HTTP server. */
      answer(res: ServerResponse): void;
      /** Answers on a raw connection (a websocket upgrade) and closes it. */
      answerRaw(socket: Duplex): void;
    };

/** `raw` with its Content-Length (and any framing header) replaced by `length`. */
function withContentLength(raw: readonly string[], length: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === "content-length" || name === "transfer-encoding" || name === "trailer") continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  out.push("Content-Length", String(length));
  return out;
}

/**
 * Runs the embedder's request rewriter (credential placeholders) on an allowed request, after the
 * policy and before the upstream is contacted. Without one, the request goes as it is. When the
 * allowing endpoint has `request_body_credential_rewrite`, the rewriter sees the head first (its
 * refusal is answered before the body is read, as upstream), then the body is read (at most 256 KiB,
 * as upstream; a larger one, or one cut short, is not forwarded and the connection is closed) and
 * the rewriter sees the whole request; the body goes upstream whole, with its Content-Length,
 * whatever the rewriter made of it. A refusal is
 * answered with its status and a JSON body `{code, message}`, a drop by closing the connection, both
 * reported as denied; a throw answers 500 and is reported; nothing reaches the upstream either way.
 * A body streamed unread is marked `guardBody` where the endpoint asks for upstream's backstop and
 * the sandbox holds credentials (the rewriter's `holdsCredentials`).
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
  type Answered = Extract<RewriteStep, { kind: "answered" }>;
  const ask = async (body?: Buffer): Promise<RewriteOutcome | Answered> => {
    try {
      return await rewrite(who.client, {
        host: outgoing.target.host,
        port: outgoing.target.port,
        method: outgoing.method.toUpperCase(),
        pathAndQuery: outgoing.target.pathAndQuery,
        rawHeaders: outgoing.rawHeaders,
        tls: outgoing.tls,
        decision,
        ...(body === undefined ? {} : { body }),
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
  };
  let body: Buffer | undefined;
  const source = outgoing.source;
  if (decision.requestBodyCredentialRewrite === true && source !== undefined && hasBody(source)) {
    // As upstream: the head's placeholders are resolved, or refused, before the body is read.
    const head = await ask();
    if (head.kind === "answered") return head;
    if (head.kind === "refused" || head.kind === "dropped") return notSent(ctx, who, request, decision, head);
    const read = await readRequestBody(source, MAX_REWRITE_BODY_BYTES);
    if (read.kind === "refused")
      return dropped(ctx, who, request, decision, `the request was not forwarded: ${read.why}`);
    if (read.kind === "body") body = read.body;
  }
  const outcome = await ask(body);
  if (outcome.kind === "answered") return outcome;
  if (outcome.kind === "unchanged" || outcome.kind === "rewritten") {
    const send = outcome.kind === "unchanged" ? unchanged : outcome;
    if (body === undefined) {
      // Upstream arms the backstop only for a sandbox with a secret resolver (l7/mod.rs
      // deny_uninspected_body_credentials): one without credentials has none to leak.
      const guard =
        decision.requestBodyCredentialGuard === true &&
        outgoing.source !== undefined &&
        hasBody(outgoing.source) &&
        (rewrite.holdsCredentials?.(who.client) ?? true);
      return {
        kind: "send",
        pathAndQuery: send.pathAndQuery,
        rawHeaders: send.rawHeaders,
        ...(guard ? { guardBody: true as const } : {}),
      };
    }
    const sent = (outcome.kind === "rewritten" ? outcome.body : undefined) ?? body;
    return {
      kind: "send",
      pathAndQuery: send.pathAndQuery,
      rawHeaders: withContentLength(send.rawHeaders, sent.length),
      body: sent,
    };
  }
  return notSent(ctx, who, request, decision, outcome);
}

/** A refusal answered with its status and JSON `{code, message}`, or a drop; reported as denied. */
function notSent(
  ctx: ProxyContext,
  who: Sandbox,
  request: EgressRequest,
  decision: EgressDecision,
  outcome: Extract<RewriteOutcome, { kind: "refused" | "dropped" }>,
): RewriteStep {
  if (outcome.kind === "dropped") {
    return dropped(ctx, who, request, decision, `the request was not forwarded: ${outcome.reason}`);
  }
  const denied = deniedBy(decision, `${outcome.code}: ${outcome.message}`);
  ctx.emit(event(who, request, denied));
  const answerBody = `${JSON.stringify({ code: outcome.code, message: outcome.message })}\n`;
  return {
    kind: "answered",
    answer: (res) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      res.writeHead(outcome.status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(answerBody),
        [deniedHeader]: "denied",
      });
      res.end(answerBody);
    },
    answerRaw: (socket) => {
      if (socket.destroyed || !socket.writable) return void socket.destroy();
      socket.end(
        `HTTP/1.1 ${outcome.status} ${STATUS_CODES[outcome.status] ?? ""}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(answerBody)}\r\n${deniedHeader}: denied\r\nconnection: close\r\n\r\n${answerBody}`,
      );
    },
  };
}

/**
 * The stream a body marked `guardBody` goes upstream through: it passes on what shows no credential
 * placeholder and, at the first that does, reports the request denied and calls `cut` (which closes
 * both sides: upstream's supervisor drops the connection then, its answer to the sandbox none).
 */
export function guardedBody(
  ctx: ProxyContext,
  who: Sandbox,
  request: EgressRequest,
  decision: EgressDecision,
  cut: () => void,
): Transform {
  const guard = bodyMarkerGuard();
  guard.once("error", (error) => {
    if (!(error instanceof BodyMarkerError)) return cut();
    ctx.emit(event(who, request, deniedBy(decision, `the request was cut off: ${error.message}`)));
    cut();
  });
  return guard;
}

/** The decision as the credential step turned it: denied, and not for a rule to fix. */
export function deniedBy(decision: EgressDecision, reason: string): EgressDecision {
  return {
    allowed: false,
    audited: false,
    ...(decision.rule === undefined ? {} : { rule: decision.rule }),
    reason,
    deniedBy: "credential",
  };
}

/**
 * Upstream's answer to a body it will not forward: none. The connection is closed unanswered (the
 * sandbox sees it cut) and the event says why.
 */
function dropped(
  ctx: ProxyContext,
  who: Sandbox,
  request: EgressRequest,
  decision: EgressDecision,
  reason: string,
): RewriteStep {
  ctx.emit(event(who, request, deniedBy(decision, reason)));
  return {
    kind: "answered",
    answer: (res) => void res.destroy(),
    answerRaw: (socket) => void socket.destroy(),
  };
}
