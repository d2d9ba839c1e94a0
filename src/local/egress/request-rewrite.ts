import type { EgressDecision } from "./egress-policy.js";
import type { EgressClient } from "./egress-types.js";

/**
 * An HTTP request the policy has allowed, on its way upstream: a plain `http://` request through
 * the proxy, or one decrypted from a TLS connection the proxy terminated. What a
 * {@link RequestRewriter} sees and may change before any byte leaves for the upstream.
 */
export interface OutboundRequest {
  /** Lower-case host name (or IP literal) the request goes to. */
  readonly host: string;
  readonly port: number;
  /** Upper-case method. */
  readonly method: string;
  /** Origin-form path and query exactly as the client sent them (`/v1/items?key=...`). */
  readonly pathAndQuery: string;
  /** Header pairs as Node gives them (`rawHeaders`: name, value, name, value, ...), hop-by-hop removed. */
  readonly rawHeaders: readonly string[];
  /** True when the request arrived inside TLS the proxy terminated. */
  readonly tls: boolean;
  /**
   * The whole body, read by the proxy before anything is sent, when the allowing endpoint has
   * `request_body_credential_rewrite` (at most 256 KiB; a larger one is never forwarded). Undefined
   * otherwise, and for a request without a body: the body then streams upstream unread.
   */
  readonly body?: Buffer;
  /** What the policy decided (the matched rule and endpoint). */
  readonly decision: EgressDecision;
}

/** What a rewriter made of a request. */
export type RewriteOutcome =
  /** Nothing to change: the request goes upstream as it came. */
  | { readonly kind: "unchanged" }
  /**
   * Send this path and these headers instead (same method). `body`, when set, replaces the body the
   * proxy read (the proxy sets its Content-Length); else the body goes as it came.
   */
  | {
      readonly kind: "rewritten";
      readonly pathAndQuery: string;
      readonly rawHeaders: readonly string[];
      readonly body?: Buffer;
    }
  /**
   * Not sent, and not answered: the proxy closes the sandbox's connection, as upstream does when it
   * cannot rewrite a body (unsupported content type, not UTF-8, a placeholder it cannot replace).
   * `reason` is for the gateway log and never holds a secret.
   */
  | { readonly kind: "dropped"; readonly reason: string }
  /**
   * Refused before anything reached the upstream: the proxy answers `status` with `code` and
   * `message`. The message is the sandbox's to read and the gateway log's: it never holds a secret.
   * 403 when the request may not carry what it carries (a credential bound elsewhere); 500 when a
   * placeholder cannot be resolved at all, as upstream answers both.
   */
  | {
      readonly kind: "refused";
      readonly status: 403 | 500;
      readonly code: string;
      readonly message: string;
    };

/**
 * Called by the egress proxy for every allowed HTTP request (plain or from terminated TLS) after
 * the policy and before the upstream is contacted; the hook local mode's credential placeholders
 * are resolved through. A throw answers 500 and is reported, never forwarded.
 */
export interface RequestRewriter {
  (client: EgressClient, request: OutboundRequest): RewriteOutcome | Promise<RewriteOutcome>;
  /**
   * Whether the client's sandbox holds credentials now (upstream: it has a secret resolver, i.e.
   * its provider environment gives it at least one). Only then is a streamed body on an endpoint
   * without `request_body_credential_rewrite` or `allow_uninspected_credentials` cut off at a
   * placeholder marker: a sandbox with nothing to leak sends such text as it is. Asked once per
   * request with a streamed body, so it must be cheap (no store read per request). A rewriter
   * without it is taken to hold credentials (the backstop is always armed).
   */
  readonly holdsCredentials?: (client: EgressClient) => boolean;
}
