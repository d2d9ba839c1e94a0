import type { IncomingMessage, RequestOptions } from "node:http";
import { connectionListedHeaders, HOP_BY_HOP_HEADERS } from "./hop-by-hop.js";
import type { Target } from "./request-target.js";

/**
 * Header lists as Node gives them (`rawHeaders`: name, value, name, value, ...), filtered for the
 * next hop. Raw lists keep repeated headers and their order, and skip building objects per request.
 */

/**
 * `raw` without hop-by-hop headers, without the headers a Connection (or Proxy-Connection) header
 * lists, and without `drop` (lower-case names); `extra` pairs are appended.
 */
export function endToEndHeaders(
  raw: readonly string[],
  drop: ReadonlySet<string> | undefined,
  extra: readonly string[] = [],
): string[] {
  const out: string[] = [];
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower)) {
      if (lower === "connection" || lower === "proxy-connection") {
        for (const name of connectionListedHeaders(raw[i + 1] as string)) {
          listed ??= new Set();
          listed.add(name);
        }
      }
      continue;
    }
    if (drop?.has(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  // Rare (Connection usually says only keep-alive or close): a second pass for the names it lists.
  const kept = listed === undefined ? out : removeListed(out, listed);
  kept.push(...extra);
  return kept;
}

function removeListed(headers: string[], listed: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!listed.has((headers[i] as string).toLowerCase()))
      out.push(headers[i] as string, headers[i + 1] as string);
  }
  return out;
}

/** The client's Host is replaced by the URL's authority (RFC 9112 §3.2.2), which the policy checked. */
const requestDrop = new Set(["host"]);
const upgradeHeaders = ["Connection", "Upgrade", "Upgrade", "websocket"];

/** Headers of a request forwarded upstream; a websocket upgrade keeps its Connection/Upgrade pair. */
function upstreamRequestHeaders(raw: readonly string[], authority: string, websocket: boolean): string[] {
  return endToEndHeaders(
    raw,
    requestDrop,
    websocket ? ["Host", authority, ...upgradeHeaders] : ["Host", authority],
  );
}

/** What the proxy sends upstream for `req` to `target`, connecting to the checked `address`. */
export function upstreamRequestOptions(
  req: IncomingMessage,
  target: Target,
  address: string,
  websocket: boolean,
): RequestOptions {
  return {
    host: address,
    port: target.port,
    method: req.method ?? "GET",
    path: target.pathAndQuery,
    headers: upstreamRequestHeaders(req.rawHeaders, target.authority, websocket),
    setHost: false,
  };
}

/** Headers of an upstream response relayed to the client. */
export function clientResponseHeaders(raw: readonly string[]): string[] {
  return endToEndHeaders(raw, undefined);
}

/** `raw` as header lines of a raw HTTP/1.1 message, each ending in CRLF. */
export function headerLines(raw: readonly string[]): string {
  let out = "";
  for (let i = 0; i < raw.length; i += 2) out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return out;
}
