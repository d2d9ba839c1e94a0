import type { EgressRequest } from "./egress-policy.js";
import { normalizeHost } from "./host-pattern.js";

/** Where a request goes, in the form the policy compares: host normalized, port explicit. */
export interface Target {
  host: string;
  port: number;
  /** Path and query as sent upstream ("/" at least). */
  pathAndQuery: string;
  /** Path alone: what the rules and the events see (query strings may carry secrets). */
  path: string;
  /** `host[:port]` for the upstream Host header. */
  authority: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * The absolute URI of a request sent to the proxy (`GET http://host/path`). WHATWG URL parsing
 * canonicalizes the host (lower case, IPv4 in dotted decimal, IPv6 compressed, IDN as punycode) and
 * resolves dot segments, so the policy sees the host and path the upstream will.
 */
export function absoluteTarget(
  url: string | undefined,
  schemes: readonly string[] = ["http:"],
): Parsed<Target> {
  if (url === undefined || url.startsWith("/") || url === "*") {
    return {
      ok: false,
      message:
        "this is an HTTP forward proxy for sandboxes: send requests with an absolute URI " +
        "(GET http://host/path) and use CONNECT host:port for https",
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, message: "the request target is not a valid absolute URI" };
  }
  if (parsed.protocol === "https:" || parsed.protocol === "wss:") {
    return {
      ok: false,
      message: `${parsed.protocol}// URIs go through a tunnel: use CONNECT ${parsed.host || "host"}:443`,
    };
  }
  if (!schemes.includes(parsed.protocol) || parsed.hostname === "") {
    return { ok: false, message: `only http:// URIs are proxied, not ${parsed.protocol}//` };
  }
  const port = parsed.port === "" ? 80 : Number(parsed.port);
  return {
    ok: true,
    value: {
      host: normalizeHost(parsed.hostname),
      port,
      pathAndQuery: `${parsed.pathname}${parsed.search}`,
      path: parsed.pathname,
      authority: parsed.host,
    },
  };
}

const connectTarget = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]@?#]+):(\d{1,5})$/;

/** The `host:port` of a CONNECT request. */
export function tunnelTarget(url: string | undefined): Parsed<{ host: string; port: number }> {
  const match = connectTarget.exec(url ?? "");
  const port = Number(match?.[2]);
  let host: string | undefined;
  try {
    host = match ? new URL(`http://${match[1]}`).hostname : undefined;
  } catch {
    host = undefined;
  }
  if (host === undefined || host === "" || !(port >= 1 && port <= 65535)) {
    return { ok: false, message: "CONNECT needs a target of the form host:port" };
  }
  return { ok: true, value: { host: normalizeHost(host), port } };
}

/** The plain HTTP request (or websocket upgrade) to `target` as the policy is asked about it. */
export function httpEgressRequest(
  target: Target,
  method: string | undefined,
  websocket: boolean,
): EgressRequest {
  const request: EgressRequest = {
    host: target.host,
    port: target.port,
    kind: "http",
    method: method ?? "GET",
    path: target.path,
  };
  if (websocket) request.websocket = true;
  return request;
}

/**
 * The target of a request read inside a CONNECT tunnel (decrypted, or plain HTTP): the tunnel's
 * host and port, which the policy checked, whatever Host the request names, and the request's
 * path. Origin-form (`/path?q`) as clients send it; absolute-form is accepted for its path alone.
 * Dot segments are resolved as URL parsing does, so the rules see the path the upstream will.
 */
export function tunnelRequestTarget(
  tunnel: { host: string; port: number; tls: boolean },
  url: string | undefined,
): Parsed<Target> {
  let path = url ?? "";
  if (!path.startsWith("/")) {
    try {
      const absolute = new URL(path);
      path = `${absolute.pathname}${absolute.search}`;
    } catch {
      return { ok: false, message: "the request target must be a path (/...) inside a tunnel" };
    }
  }
  // Prefixed with a scheme and host so `//x` stays a path rather than naming a host.
  const parsed = new URL(`http://tunnel${path}`);
  const defaultPort = tunnel.tls ? 443 : 80;
  const name = tunnel.host.includes(":") ? `[${tunnel.host}]` : tunnel.host;
  return {
    ok: true,
    value: {
      host: tunnel.host,
      port: tunnel.port,
      pathAndQuery: `${parsed.pathname}${parsed.search}`,
      path: parsed.pathname,
      authority: tunnel.port === defaultPort ? name : `${name}:${tunnel.port}`,
    },
  };
}
