import type { Access, CompiledEndpoint, L7Matcher } from "./compile-endpoint.js";

/** What one endpoint says of a request that reached it (host and port already match). */
export type EndpointVerdict =
  | { pass: true }
  | {
      pass: false;
      /** Without the `rule "x": ` prefix. */
      why: string;
      /** A deny rule matched: that wins over every other endpoint's allow. */
      denyRule: boolean;
    };

/** The request as L7 rules see it. */
export interface L7Request {
  kind: "http" | "connect";
  /** Upper case. */
  method: string;
  /** The decoded path rules match, or why it cannot be matched. */
  path: { ok: true; value: string } | { ok: false; why: string };
  /** The raw path, for reasons. */
  rawPath: string;
  websocket: boolean;
  target: string;
}

/** Upstream's name for a client websocket text message in rules; the proxy cannot see those. */
const websocketText = "WEBSOCKET_TEXT";

/** Upstream's presets: read-write also allows a websocket's client messages, read-only only its upgrade. */
const accessMethods: Record<Exclude<Access, "full">, ReadonlySet<string>> = {
  "read-only": new Set(["GET", "HEAD", "OPTIONS"]),
  "read-write": new Set(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", websocketText]),
};

/**
 * The path rules match: query dropped, percent-decoded (so `/%61dmin` cannot slip past a deny rule
 * on `/admin`), and refused when decoding would change its segments (an encoded slash or a dot
 * segment), since the upstream server might read those differently from the rule.
 */
export function rulePath(raw: string | undefined): L7Request["path"] {
  let path = raw ?? "/";
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  if (path === "") path = "/";
  if (/%2f|%5c/i.test(path)) return { ok: false, why: "has an encoded slash, which path rules cannot check" };
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return { ok: false, why: "has malformed percent-encoding" };
  }
  if (!decoded.startsWith("/")) return { ok: false, why: "does not start with /" };
  if (decoded.split("/").some((s) => s === "." || s === "..")) {
    return { ok: false, why: "has a dot segment, which path rules cannot check" };
  }
  return { ok: true, value: decoded };
}

const methodAllowed = (method: string, access: Access | undefined) =>
  access === undefined || access === "full" || accessMethods[access].has(method);

/**
 * As upstream's rules: a GET rule also matches HEAD (RFC 9110: HEAD is GET without the body); an
 * empty method matches nothing.
 */
const methodMatches = (ruled: string | undefined, method: string) =>
  ruled === undefined || ruled === method || (ruled === "GET" && method === "HEAD");

const matches = (m: L7Matcher, method: string, path: string) =>
  methodMatches(m.method, method) && (m.path === undefined || m.path.test(path));

/** Checks `method` against access, deny rules and allow rules. */
function check(endpoint: CompiledEndpoint, request: L7Request, method: string): EndpointVerdict {
  const { access, allows, denies } = endpoint;
  let path = "/";
  if (endpoint.pathRules) {
    if (!request.path.ok)
      return { pass: false, why: `path ${request.rawPath} ${request.path.why}`, denyRule: false };
    path = request.path.value;
  }
  for (const [i, deny] of denies.entries()) {
    if (matches(deny, method, path)) {
      return {
        pass: false,
        why: `${method} ${request.rawPath} denied by deny_rules[${i}] (${deny.text})`,
        denyRule: true,
      };
    }
  }
  if (!methodAllowed(method, access)) {
    return { pass: false, why: `method ${method} not allowed by access ${access}`, denyRule: false };
  }
  if (allows !== undefined && !allows.some((a) => matches(a, method, path))) {
    return { pass: false, why: `no allow rule matches ${method} ${request.rawPath}`, denyRule: false };
  }
  return { pass: true };
}

/** What `endpoint` says of `request`. */
export function endpointVerdict(endpoint: CompiledEndpoint, request: L7Request): EndpointVerdict {
  if (!endpoint.l7) return { pass: true };
  // A tunnel is decided on host and port: the proxy terminates its TLS (or parses its plain HTTP)
  // and checks every request inside by these rules (TunnelMode "l7").
  if (request.kind === "connect") return { pass: true };
  const upgrade = check(endpoint, request, request.method);
  if (!upgrade.pass || !request.websocket) return upgrade;
  // After the upgrade the proxy relays frames unread, so client messages must be allowed outright.
  const messages = check(endpoint, request, websocketText);
  if (messages.pass) return messages;
  return {
    pass: false,
    why:
      `the websocket upgrade of ${request.rawPath} is allowed but its client messages are not ` +
      `(${messages.why}), and local mode cannot inspect websocket messages`,
    denyRule: messages.denyRule,
  };
}
