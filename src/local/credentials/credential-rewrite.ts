import type { OutboundRequest, RewriteOutcome } from "../egress/request-rewrite.js";
import { rewriteBody } from "./body-rewrite.js";
import {
  containsMarker,
  containsRawMarker,
  nextToken,
  type Placeholder,
  parsePlaceholder,
  percentDecode,
  percentEncodePathSegment,
  percentEncodeQuery,
  redactedPath,
} from "./placeholders.js";

/** What one placeholder of a request comes to, at the request's endpoint. */
export type Resolution =
  | { readonly kind: "value"; readonly value: string }
  /** The key's credential is bound to other endpoints than this request's. */
  | { readonly kind: "mismatch" }
  /** No credential answers it; `why` says what to do (never a value). */
  | { readonly kind: "unavailable"; readonly why: string };

/** Resolves placeholders for one request; made once its (redacted) path is known. */
export type PlaceholderResolver = (placeholder: Placeholder) => Resolution;

/** Where in the request a placeholder was, in upstream's words. */
type Location = "header" | "query_param" | "path" | "request_target" | "request_body";

/** A placeholder that stops the request; thrown inside, answered as a refusal. */
class Refusal {
  constructor(
    readonly kind: "mismatch" | "unavailable",
    readonly location: Location,
    readonly key: string | undefined,
    readonly why: string,
  ) {}
}

/** Why a placeholder is not one (the sandbox's environment shows the well-formed kind). */
export const MALFORMED =
  "it is not a well-formed placeholder (openshell:resolve:env:v<revision>_KEY, as the sandbox's environment holds it)";

/** Why a text's placeholders could not all be replaced: the first that did not resolve. */
export interface PlaceholderRefusal {
  readonly kind: "mismatch" | "unavailable";
  /** The credential's key; undefined for a token that is no well-formed placeholder. */
  readonly key: string | undefined;
  readonly why: string;
}

/**
 * Each placeholder anywhere in `text` replaced by what `resolve` gives, verbatim (upstream's
 * `rewrite_text_placeholders`, which request parts, bodies and websocket messages share), or the
 * first that does not resolve. `check` vets a value for the place it goes.
 */
export function replacePlaceholders(
  text: string,
  resolve: PlaceholderResolver,
  check?: (value: string) => string | undefined,
): { readonly text: string; readonly replaced: number } | PlaceholderRefusal {
  let out = "";
  let pos = 0;
  let replaced = 0;
  for (let found = nextToken(text, pos); found !== undefined; found = nextToken(text, pos)) {
    out += text.slice(pos, found.start);
    const placeholder = found.token === undefined ? undefined : parsePlaceholder(found.token);
    if (placeholder === undefined) return { kind: "unavailable", key: undefined, why: MALFORMED };
    const resolution = resolve(placeholder);
    if (resolution.kind === "mismatch") return { kind: "mismatch", key: placeholder.key, why: "" };
    if (resolution.kind === "unavailable") {
      return { kind: "unavailable", key: placeholder.key, why: resolution.why };
    }
    const unsafe = check?.(resolution.value);
    if (unsafe !== undefined) return { kind: "unavailable", key: placeholder.key, why: unsafe };
    out += resolution.value;
    replaced++;
    pos = found.end;
  }
  return { text: out + text.slice(pos), replaced };
}

/** A value that could split the request or reshape its target is never sent (upstream: CWE-113). */
function requestSafe(value: string): string | undefined {
  return /[\r\n\0]/.test(value) ? "its value holds CR, LF or NUL, which a request cannot carry" : undefined;
}

/**
 * Replaces each placeholder in `text` by what `resolve` gives, refusing at the first that does not
 * resolve, or whose value {@link requestSafe} or `check` refuses for the place it goes.
 */
function replaceTokens(
  text: string,
  resolve: PlaceholderResolver,
  location: Location,
  check?: (value: string) => string | undefined,
): string {
  const result = replacePlaceholders(text, resolve, (value) => requestSafe(value) ?? check?.(value));
  if ("kind" in result) throw new Refusal(result.kind, location, result.key, result.why);
  return result.text;
}

/** One placeholder standing alone (a whole header value, or after its scheme), resolved. */
function resolvedValue(placeholder: Placeholder, resolve: PlaceholderResolver, location: Location): string {
  const resolution = resolve(placeholder);
  if (resolution.kind === "mismatch") throw new Refusal("mismatch", location, placeholder.key, "");
  if (resolution.kind === "unavailable") {
    throw new Refusal("unavailable", location, placeholder.key, resolution.why);
  }
  const unsafe = requestSafe(resolution.value);
  if (unsafe !== undefined) throw new Refusal("unavailable", location, placeholder.key, unsafe);
  return resolution.value;
}

function pathSafe(value: string): string | undefined {
  if (value === ".." || value.includes("../") || value.includes("..\\"))
    return "its value would traverse the path";
  if (/[/\\?#]/.test(value)) return "its value holds a path separator or URI delimiter";
  return undefined;
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `Basic <base64>` decoded, when it is that and decodes to UTF-8 text. */
function basicCredentials(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed.startsWith("Basic ") && !trimmed.startsWith("basic ")) return undefined;
  const encoded = trimmed.slice(6).trim();
  if (!base64.test(encoded)) return undefined;
  try {
    return utf8.decode(Buffer.from(encoded, "base64"));
  } catch {
    return undefined;
  }
}

/** A header value with its placeholders resolved (upstream's rewrite_header_value); undefined when it has none. */
function rewriteHeaderValue(value: string, resolve: PlaceholderResolver): string | undefined {
  const trimmed = value.trim();
  const whole = parsePlaceholder(trimmed);
  if (whole !== undefined) return resolvedValue(whole, resolve, "header");
  const basic = basicCredentials(trimmed);
  if (basic !== undefined && containsRawMarker(basic)) {
    return `Basic ${Buffer.from(replaceTokens(basic, resolve, "header")).toString("base64")}`;
  }
  if (!containsMarker(trimmed)) return undefined;
  // `Bearer <placeholder>`, `token <placeholder>`: a scheme, then the placeholder alone.
  const space = trimmed.search(/\s/);
  if (space > 0) {
    const candidate = parsePlaceholder(trimmed.slice(space).trim());
    if (candidate !== undefined)
      return `${trimmed.slice(0, space)} ${resolvedValue(candidate, resolve, "header")}`;
  }
  throw new Refusal("unavailable", "header", undefined, MALFORMED);
}

function rewritePath(path: string, resolve: PlaceholderResolver): string {
  return path
    .split("/")
    .map((segment) => {
      const decoded = percentDecode(segment);
      if (!containsRawMarker(decoded)) return segment;
      return percentEncodePathSegment(replaceTokens(decoded, resolve, "path", pathSafe));
    })
    .join("/");
}

function rewriteQuery(query: string, resolve: PlaceholderResolver): string {
  return query
    .split("&")
    .map((param) => {
      const eq = param.indexOf("=");
      if (eq < 0) return param;
      const decoded = percentDecode(param.slice(eq + 1));
      if (!containsRawMarker(decoded)) return param;
      return `${param.slice(0, eq + 1)}${percentEncodeQuery(replaceTokens(decoded, resolve, "query_param"))}`;
    })
    .join("&");
}

/** Whether anything in the request could be a placeholder: the fast way out for every other request. */
function mayHoldPlaceholders(request: OutboundRequest): boolean {
  if (containsMarker(request.pathAndQuery)) return true;
  const headers = request.rawHeaders;
  for (let i = 1; i < headers.length; i += 2) {
    const value = headers[i] as string;
    if (containsMarker(value)) return true;
    const basic = basicCredentials(value);
    if (basic !== undefined && containsRawMarker(basic)) return true;
  }
  return false;
}

function refused(request: OutboundRequest, refusal: Refusal): RewriteOutcome {
  const where = `${request.host}:${request.port}`;
  if (refusal.kind === "mismatch") {
    return {
      kind: "refused",
      status: 403,
      code: "credential_endpoint_mismatch",
      message:
        `credential ${refusal.key} is not authorized for ${where}: its provider binds it to other ` +
        "endpoints (the provider profile's, or the policy's credential_binding); the request was not sent",
    };
  }
  const what =
    refusal.key === undefined ? "a credential placeholder" : `the credential placeholder for ${refusal.key}`;
  return {
    kind: "refused",
    status: 500,
    // Upstream's two codes: its forward proxy's for plain HTTP, its TLS relay's for terminated TLS;
    // a body is rewritten by its relay on both paths, so always the relay's.
    code:
      request.tls || refusal.location === "request_body"
        ? "credential_unavailable"
        : "credential_injection_failed",
    message: `${what} in the request's ${refusal.location} to ${where} could not be resolved: ${refusal.why}; the request was not sent`,
  };
}

/** The first Content-Type of a request's headers. */
function contentType(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === "content-type") return rawHeaders[i + 1];
  }
  return undefined;
}

/** Path, query and headers with their placeholders resolved (they hold some: see mayHoldPlaceholders). */
function rewriteHead(
  request: OutboundRequest,
  resolve: PlaceholderResolver,
): { pathAndQuery: string; rawHeaders: string[] } {
  const q = request.pathAndQuery.indexOf("?");
  const path = q < 0 ? request.pathAndQuery : request.pathAndQuery.slice(0, q);
  let pathAndQuery = rewritePath(path, resolve);
  if (q >= 0) pathAndQuery += `?${rewriteQuery(request.pathAndQuery.slice(q + 1), resolve)}`;
  const rawHeaders = request.rawHeaders.map((item, i) =>
    i % 2 === 0 ? item : (rewriteHeaderValue(item, resolve) ?? item),
  );
  // Fail closed: a marker left anywhere (a query parameter without `=`, a header name) is not sent.
  if (containsMarker(pathAndQuery) || rawHeaders.some((item) => containsMarker(item))) {
    throw new Refusal("unavailable", "request_target", undefined, MALFORMED);
  }
  return { pathAndQuery, rawHeaders };
}

/**
 * Resolves the credential placeholders of one allowed request, as upstream's supervisor does:
 * header values (a whole value, `<scheme> <placeholder>`, and inside `Basic` credentials), query
 * values and path segments, and the body when the proxy read it (`request.body`, for an endpoint
 * with `request_body_credential_rewrite`: see {@link rewriteBody}). `resolverFor` gets the
 * request's path with each placeholder redacted (what bindings are matched against). A placeholder
 * that does not resolve refuses the whole request; a request without any is unchanged, without
 * `resolverFor` being called; a body upstream would not forward is `dropped`.
 */
export function rewriteCredentials(
  request: OutboundRequest,
  resolverFor: (redactedPath: string) => PlaceholderResolver,
): RewriteOutcome {
  const head = mayHoldPlaceholders(request);
  const { body } = request;
  // A body is always looked at (upstream refuses a text body that is not UTF-8, placeholder or not),
  // but the resolver is made only when something holds a marker.
  if (!head && (body === undefined || body.length === 0)) return { kind: "unchanged" };
  let resolver: PlaceholderResolver | undefined;
  const resolve: PlaceholderResolver = (placeholder) => {
    if (resolver === undefined) {
      const q = request.pathAndQuery.indexOf("?");
      resolver = resolverFor(redactedPath(q < 0 ? request.pathAndQuery : request.pathAndQuery.slice(0, q)));
    }
    return resolver(placeholder);
  };
  try {
    const rewritten = head ? rewriteHead(request, resolve) : undefined;
    const outcome =
      body === undefined
        ? ({ kind: "unchanged" } as const)
        : rewriteBody(body, contentType(request.rawHeaders), (text) =>
            replaceTokens(text, resolve, "request_body"),
          );
    if (outcome.kind === "dropped") return { kind: "dropped", reason: outcome.why };
    if (rewritten === undefined && outcome.kind === "unchanged") return { kind: "unchanged" };
    return {
      kind: "rewritten",
      pathAndQuery: rewritten?.pathAndQuery ?? request.pathAndQuery,
      rawHeaders: rewritten?.rawHeaders ?? request.rawHeaders,
      ...(outcome.kind === "rewritten" ? { body: outcome.body } : {}),
    };
  } catch (error) {
    if (error instanceof Refusal) return refused(request, error);
    throw error;
  }
}
