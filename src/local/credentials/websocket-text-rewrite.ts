import type { TextRewrite } from "../egress/websocket-client-frames.js";
import { type PlaceholderResolver, replacePlaceholders } from "./credential-rewrite.js";
import { containsRawMarker, redactedPath } from "./placeholders.js";

/**
 * Resolves the credential placeholders of one whole websocket text message, as upstream's
 * `rewrite_websocket_text_placeholders` (its text rewriting, which bodies share): each placeholder
 * anywhere in the text is replaced by its value; the first that does not resolve (malformed,
 * unknown, or bound to other endpoints) refuses the whole message, and so does a marker left in the
 * result. `resolver` is asked for only when the text holds a marker, so a message without one costs
 * a string search.
 */
export function rewriteWebSocketText(text: string, resolver: () => PlaceholderResolver): TextRewrite {
  if (!containsRawMarker(text)) return { kind: "text", text, replaced: 0 };
  const result = replacePlaceholders(text, resolver());
  if ("kind" in result) {
    if (result.kind === "mismatch") {
      return {
        kind: "refused",
        mismatch: true,
        why:
          `credential ${result.key} is not authorized for this websocket's endpoint: its provider binds it ` +
          "to other endpoints (the provider profile's, or the policy's credential_binding); the message was not sent",
      };
    }
    return refused(
      result.key === undefined
        ? `a credential placeholder in a websocket message: ${result.why}`
        : `the credential placeholder for ${result.key} in a websocket message could not be resolved: ${result.why}`,
    );
  }
  // Fail closed, as upstream: a value that itself holds a marker is not sent.
  if (containsRawMarker(result.text))
    return refused(`a websocket message still held a placeholder marker once resolved`);
  return { kind: "text", text: result.text, replaced: result.replaced };
}

function refused(why: string): TextRewrite {
  return {
    kind: "refused",
    mismatch: false,
    why: `${why}; the message was not sent and the websocket closed`,
  };
}

/**
 * The text rewriter of one websocket upgrade to `pathAndQuery` (as the sandbox sent it): each
 * message gets a resolver from `resolverFor`, made when the message is sent (so a credential
 * changed since the upgrade is resolved to its current value) and given the upgrade's path with
 * each placeholder as `[CREDENTIAL]`, which bindings are matched against, as upstream's redacted
 * target.
 */
export function websocketTextRewriter(
  pathAndQuery: string,
  resolverFor: (redactedPath: string) => PlaceholderResolver,
): (text: string) => TextRewrite {
  const q = pathAndQuery.indexOf("?");
  const path = redactedPath(q < 0 ? pathAndQuery : pathAndQuery.slice(0, q));
  return (text) => rewriteWebSocketText(text, () => resolverFor(path));
}
