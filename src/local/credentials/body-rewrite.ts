import { holdsMarkerBytes } from "./marker-scan.js";
import { containsMarker, containsRawMarker, percentDecodeBytes, percentEncodeForm } from "./placeholders.js";

/**
 * Upstream's bound on a body it reads to put credentials in (`MAX_REWRITE_BODY_BYTES` in
 * openshell-supervisor-network `l7/rest.rs`): larger bodies on an endpoint with
 * `request_body_credential_rewrite` are not forwarded at all.
 */
export const MAX_REWRITE_BODY_BYTES = 256 * 1024;

/** What became of a request body read for `request_body_credential_rewrite`. */
export type BodyOutcome =
  /** No placeholder in it: it goes as it came. */
  | { readonly kind: "unchanged" }
  /** Send this instead (its Content-Length is the sender's to set). */
  | { readonly kind: "rewritten"; readonly body: Buffer }
  /**
   * Upstream closes the connection without an answer for these (its relay fails with a plain
   * error, not a placeholder one): `why` is for the gateway log, never holding a value.
   */
  | { readonly kind: "dropped"; readonly why: string };

/**
 * Replaces each placeholder of a text (as upstream's `rewrite_text_placeholders`: raw tokens
 * anywhere in it, the value put in verbatim, no escaping) and throws at the first that does not
 * resolve; the caller answers that throw as it answers one in a header.
 */
export type TextReplacer = (text: string) => string;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The media type of a Content-Type value, lower case, without parameters. */
function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(";")[0]?.trim().toLowerCase();
}

/** Upstream rewrites JSON, form-urlencoded and text/* bodies only. */
function rewritable(type: string | undefined): boolean {
  return (
    type === "application/json" || type === "application/x-www-form-urlencoded" || !!type?.startsWith("text/")
  );
}

/** Whether bytes hold a marker, raw or percent-encoded (see {@link holdsMarkerBytes}). */
export function bodyHoldsMarker(body: Buffer): boolean {
  return body.length > 0 && holdsMarkerBytes(body);
}

/**
 * `text` with its placeholders replaced, or why it may not be sent: upstream insists that a marker
 * was really replaced (a percent-encoded one in JSON is not) and that none is left afterwards.
 */
function replaceAll(text: string, replace: TextReplacer): string | { why: string } {
  if (!containsRawMarker(text)) {
    return { why: "a credential placeholder in the body is percent-encoded where it cannot be replaced" };
  }
  const replaced = replace(text);
  if (containsMarker(replaced))
    return { why: "the body still holds a credential placeholder once rewritten" };
  return replaced;
}

/** application/x-www-form-urlencoded decoding: `+` is a space, `%XX` a byte; the bytes must be UTF-8. */
function formDecode(input: string): string | undefined {
  if (!input.includes("%") && !input.includes("+")) return input;
  try {
    return utf8.decode(percentDecodeBytes(input, true));
  } catch {
    return undefined;
  }
}

/** A form body field by field: placeholders in values (decoded, replaced, encoded again), never in names. */
function rewriteForm(text: string, replace: TextReplacer): string | { why: string } {
  const fields: string[] = [];
  for (const field of text.split("&")) {
    const eq = field.indexOf("=");
    const name = eq < 0 ? field : field.slice(0, eq);
    const decodedName = formDecode(name);
    if (decodedName === undefined) return { why: "a form field name is not UTF-8 once decoded" };
    if (containsMarker(decodedName)) {
      return { why: "a credential placeholder is in a form field name, where it is not replaced" };
    }
    if (eq < 0) {
      fields.push(field);
      continue;
    }
    const value = field.slice(eq + 1);
    const decoded = formDecode(value);
    if (decoded === undefined) return { why: "a form field value is not UTF-8 once decoded" };
    if (!containsMarker(decoded)) {
      fields.push(field);
      continue;
    }
    const replaced = replaceAll(decoded, replace);
    if (typeof replaced !== "string") return replaced;
    fields.push(`${name}=${percentEncodeForm(replaced)}`);
  }
  return fields.join("&");
}

/**
 * A request body read for `request_body_credential_rewrite`, as upstream's supervisor treats it:
 * only `application/json`, `application/x-www-form-urlencoded` and `text/*` bodies are rewritten
 * (another type holding a marker is not sent); the body must be UTF-8; JSON and text have each raw
 * placeholder replaced wherever it stands, verbatim (no JSON escaping); a form body has them
 * replaced in its decoded values, each value encoded again. A marker that cannot be replaced
 * (percent-encoded outside a form value, in a form field name, or left over) stops the request.
 * `replace` throws for a placeholder that does not resolve.
 */
export function rewriteBody(
  body: Buffer,
  contentType: string | undefined,
  replace: TextReplacer,
): BodyOutcome {
  if (body.length === 0) return { kind: "unchanged" };
  const type = mediaType(contentType);
  if (!rewritable(type)) {
    return bodyHoldsMarker(body)
      ? {
          kind: "dropped",
          why:
            `the body (${type === undefined ? "no Content-Type" : type}) holds a credential placeholder, ` +
            "and only application/json, application/x-www-form-urlencoded and text/* bodies are rewritten",
        }
      : { kind: "unchanged" };
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return {
      kind: "dropped",
      why: `the ${type} body is not UTF-8, which request_body_credential_rewrite requires`,
    };
  }
  if (!containsMarker(text)) return { kind: "unchanged" };
  const out =
    type === "application/x-www-form-urlencoded" ? rewriteForm(text, replace) : replaceAll(text, replace);
  if (typeof out !== "string") return { kind: "dropped", why: out.why };
  return { kind: "rewritten", body: Buffer.from(out, "utf8") };
}
