import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { connectionListedHeaders, HOP_BY_HOP_HEADERS } from "../egress/hop-by-hop.js";
import type { ProviderEndpoint } from "./provider-endpoint.js";
import { containsSecret } from "./secret-redaction.js";

/**
 * Request headers the sandbox may not pass on: its own credentials (whatever key an agent was given
 * inside the sandbox is not the provider's), and headers the gateway sets itself. `expect` goes
 * because the body is already read; `accept-encoding` because the gateway asks for an uncompressed
 * answer it can check for the credential.
 */
const dropFromRequest = new Set([
  "authorization",
  "x-api-key",
  "cookie",
  "host",
  "content-length",
  "expect",
  "accept-encoding",
]);

/** Response headers the sandbox does not get: the provider's cookies are the gateway's session. */
const dropFromResponse = new Set(["set-cookie"]);

/** Names listed in a `connection` header are hop-by-hop for that message too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  return new Set(connectionListedHeaders(Array.isArray(value) ? value.join(",") : (value ?? "")));
}

/**
 * The headers the provider gets: the sandbox's, minus hop-by-hop headers and any credential it sent,
 * plus the provider's credential headers (always) and default headers (unless the sandbox set them).
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  endpoint: ProviderEndpoint,
  bodyLength: number,
): OutgoingHttpHeaders {
  const listed = connectionListed(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name) || listed.has(name) || dropFromRequest.has(name))
      continue;
    if (Object.hasOwn(endpoint.headers, name)) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(endpoint.defaultHeaders)) {
    if (out[name] === undefined) out[name] = value;
  }
  Object.assign(out, endpoint.headers);
  out["accept-encoding"] = "identity";
  if (
    bodyLength > 0 ||
    headers["content-length"] !== undefined ||
    headers["transfer-encoding"] !== undefined
  ) {
    out["content-length"] = String(bodyLength);
  }
  return out;
}

/**
 * The headers the sandbox gets back: the provider's, minus hop-by-hop headers, cookies, and any
 * header whose value carries a credential (a provider echoing the key must not hand it to the
 * sandbox). `content-length` stays: the body is masked byte for byte, never resized.
 */
export function downstreamResponseHeaders(
  headers: IncomingHttpHeaders,
  secrets: readonly string[],
): OutgoingHttpHeaders {
  const listed = connectionListed(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name) || listed.has(name) || dropFromResponse.has(name))
      continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => containsSecret(v, secrets))) continue;
    out[name] = value;
  }
  return out;
}
