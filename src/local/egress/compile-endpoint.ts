import type { L7Allow, L7DenyRule, NetworkEndpoint } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { type AddressRanges, compileAllowedIps, isLoopbackAddress } from "./address-ranges.js";
import { EgressPolicyError } from "./egress-policy-error.js";
import { compileHostPattern, type HostPattern, isLoopbackName, normalizeHost } from "./host-pattern.js";
import { compilePathPattern } from "./path-pattern.js";

export type Access = "read-only" | "read-write" | "full";

/** One `rules[].allow` or `deny_rules[]` entry: method and path. */
export interface L7Matcher {
  /**
   * Upper case; undefined for any method ("*"); "" (left empty) for none at all, as upstream's
   * policy engine reads an empty method (methodless-rules.ts warns of it).
   */
  readonly method: string | undefined;
  /** Undefined for any path. */
  readonly path: RegExp | undefined;
  /** `METHOD path` as written, for reasons. */
  readonly text: string;
}

/**
 * What the proxy does with a CONNECT the endpoint allows:
 * - `skip`: a raw tunnel (`tls: skip`): no TLS termination, no L7 rules, no request rewriting;
 * - `l7`: TLS is terminated when the client starts it, and every HTTP request inside (decrypted, or
 *   plain bytes, which are parsed as HTTP too so rules cannot be sidestepped) is checked by the rules
 *   (and has its body's placeholders resolved, on an endpoint with `request_body_credential_rewrite`);
 * - `l4`: TLS is terminated when the client starts it (for audit and request rewriting), and what
 *   is not TLS, or not HTTP inside it, is relayed as it comes.
 */
export type TunnelMode = "skip" | "l7" | "l4";

/** An endpoint, validated and ready to match. */
export interface CompiledEndpoint {
  /** The network_policies key of its rule. */
  readonly rule: string;
  readonly index: number;
  readonly host: HostPattern;
  readonly ports: ReadonlySet<number>;
  /** True unless `enforcement` is "enforce": empty means audit, as upstream. */
  readonly audit: boolean;
  readonly tunnel: TunnelMode;
  readonly access: Access | undefined;
  /** `rules`, or undefined when the endpoint has none. */
  readonly allows: readonly L7Matcher[] | undefined;
  readonly denies: readonly L7Matcher[];
  readonly allowedIps: AddressRanges | undefined;
  readonly allowedIpsText: readonly string[];
  /** Whether requests are limited by method or path (checked on each HTTP request, plain or decrypted). */
  readonly l7: boolean;
  /** Whether some rule looks at the path (then it must be in a form rules can check). */
  readonly pathRules: boolean;
  /**
   * `request_body_credential_rewrite` (protocol "rest" only): the proxy reads request bodies (at
   * most 256 KiB) and resolves credential placeholders in them too.
   */
  readonly requestBodyCredentialRewrite: boolean;
  /**
   * `websocket_credential_rewrite` (protocol "rest" or "websocket" only): on a websocket upgrade it
   * allows, the proxy reads the sandbox's frames and resolves credential placeholders in its text
   * messages (at most 4 MiB each).
   */
  readonly websocketCredentialRewrite: boolean;
  /**
   * Upstream's backstop where bodies are not rewritten: on an endpoint with an HTTP protocol (rest,
   * http, websocket) without `request_body_credential_rewrite` or `allow_uninspected_credentials`,
   * a streamed body that shows a credential placeholder is cut off before it is passed on; armed
   * per request only when the sandbox holds credentials (rewrite-step.ts), as upstream.
   */
  readonly requestBodyCredentialGuard: boolean;
}

const protocols = new Set(["", "tcp", "rest", "http", "websocket"]);
/** "", "terminate" and "passthrough" all mean auto (the last two deprecated, as upstream); "skip" is a raw tunnel. */
const tlsValues = new Set(["", "terminate", "passthrough", "skip"]);

const accessValues = new Set(["read-only", "read-write", "full"]);

const notSupported = "is not supported in local mode";
const credentialsHint =
  `${notSupported}: the egress proxy only resolves credential placeholders in headers, query values, ` +
  "paths, (with request_body_credential_rewrite) bodies and (with websocket_credential_rewrite) " +
  "websocket text messages, for the endpoints they are bound to, and " +
  "adds or signs no credentials; remove it " +
  "(inference.local is the way to reach a provider with gateway-held credentials)";
const inspectionHint = `${notSupported}: the egress proxy checks only the method and path of HTTP requests; remove it`;

/** Endpoint fields the proxy cannot honour, when set: refused rather than silently ignored. */
const unsupportedFields: readonly (readonly [string, (e: NetworkEndpoint) => boolean, string])[] = [
  ["path", (e) => e.path !== "", `${notSupported}; put the path in rules[].allow.path instead`],
  [
    "allow_encoded_slash",
    (e) => e.allowEncodedSlash,
    `${notSupported}: paths with %2F are refused where path rules apply`,
  ],
  ["persisted_queries", (e) => e.persistedQueries !== "", inspectionHint],
  ["graphql_persisted_queries", (e) => Object.keys(e.graphqlPersistedQueries).length > 0, inspectionHint],
  ["graphql_max_body_bytes", (e) => e.graphqlMaxBodyBytes !== 0, inspectionHint],
  ["json_rpc_max_body_bytes", (e) => e.jsonRpcMaxBodyBytes !== 0, inspectionHint],
  ["mcp", (e) => e.mcp !== undefined, inspectionHint],
  ["credential_signing", (e) => e.credentialSigning !== "", credentialsHint],
  ["signing_service", (e) => e.signingService !== "", credentialsHint],
  ["signing_region", (e) => e.signingRegion !== "", credentialsHint],
  ["provider_credentialed", (e) => e.providerCredentialed, credentialsHint],
];

/** Rule matcher fields beyond method and path (query, GraphQL, JSON-RPC, MCP): refused when set. */
const unsupportedMatcherFields: readonly (readonly [string, (m: L7Allow | L7DenyRule) => boolean])[] = [
  ["command", (m) => m.command !== ""],
  ["query", (m) => Object.keys(m.query).length > 0],
  ["params", (m) => Object.keys(m.params).length > 0],
  ["operation_type", (m) => m.operationType !== ""],
  ["operation_name", (m) => m.operationName !== ""],
  ["fields", (m) => m.fields.length > 0],
];

function compileMatcher(m: L7Allow | L7DenyRule, field: string): L7Matcher {
  for (const [name, isSet] of unsupportedMatcherFields) {
    if (isSet(m)) {
      throw new EgressPolicyError(
        `${field}.${name}`,
        `${notSupported}: rules match only method and path of HTTP requests; remove it`,
      );
    }
  }
  const method = m.method.trim().toUpperCase();
  const path = compilePathPattern(m.path, `${field}.path`);
  return {
    method: method === "*" ? undefined : method,
    path,
    text: `${method || "(no method)"} ${m.path || "**"}`,
  };
}

function compilePorts(endpoint: NetworkEndpoint, field: string): Set<number> {
  const ports = new Set<number>();
  for (const [i, port] of [endpoint.port, ...endpoint.ports].entries()) {
    if (i === 0 && port === 0) continue; // `port` unset; `ports` entries must be real
    const name = i === 0 ? `${field}.port` : `${field}.ports[${i - 1}]`;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new EgressPolicyError(name, `${port} is not a TCP port (1-65535)`);
    }
    ports.add(port);
  }
  if (ports.size === 0) {
    // Upstream has no default port either: an endpoint names its port(s).
    throw new EgressPolicyError(`${field}.port`, "no port: set port or ports (there is no default port)");
  }
  return ports;
}

function checkLoopback(endpoint: NetworkEndpoint, host: HostPattern, field: string): void {
  const name = normalizeHost(endpoint.host.trim());
  if (host.ip ? isLoopbackAddress(name) : isLoopbackName(name)) {
    throw new EgressPolicyError(
      `${field}.host`,
      `${JSON.stringify(endpoint.host)} is loopback, which the egress proxy never connects to: it runs on ` +
        "the gateway host, so it would be the host's loopback, not the sandbox's; a sandbox reaches its own " +
        "loopback without the proxy",
    );
  }
}

/** Validates and compiles `network_policies[rule].endpoints[index]`. */
export function compileEndpoint(
  rule: string,
  index: number,
  endpoint: NetworkEndpoint,
  field: string,
): CompiledEndpoint {
  for (const [name, isSet, hint] of unsupportedFields) {
    if (isSet(endpoint)) throw new EgressPolicyError(`${field}.${name}`, hint);
  }
  const protocol = endpoint.protocol.trim().toLowerCase();
  if (!protocols.has(protocol)) {
    throw new EgressPolicyError(
      `${field}.protocol`,
      `protocol ${JSON.stringify(endpoint.protocol)} ${notSupported}: use "rest", "http", "websocket", "tcp" or leave it empty`,
    );
  }
  const tls = endpoint.tls.trim().toLowerCase();
  if (!tlsValues.has(tls)) {
    throw new EgressPolicyError(
      `${field}.tls`,
      `unknown value ${JSON.stringify(endpoint.tls)}: leave it empty (TLS is detected and terminated), ` +
        'or "skip" for a raw tunnel the proxy does not look into',
    );
  }
  const enforcement = endpoint.enforcement.trim().toLowerCase();
  if (enforcement !== "" && enforcement !== "enforce" && enforcement !== "audit") {
    throw new EgressPolicyError(
      `${field}.enforcement`,
      `unknown value ${JSON.stringify(endpoint.enforcement)}: use "enforce", "audit" or leave it empty (audit)`,
    );
  }
  const access = endpoint.access.trim().toLowerCase();
  if (access !== "" && !accessValues.has(access)) {
    throw new EgressPolicyError(
      `${field}.access`,
      `unknown value ${JSON.stringify(endpoint.access)}: use "read-only", "read-write" or "full"`,
    );
  }
  if (access !== "" && endpoint.rules.length > 0) {
    throw new EgressPolicyError(
      `${field}.rules`,
      "set access or rules, not both (SEMANTICS §8: access or rules)",
    );
  }
  if (protocol === "tcp" && (access !== "" || endpoint.rules.length > 0 || endpoint.denyRules.length > 0)) {
    throw new EgressPolicyError(
      `${field}.protocol`,
      `"tcp" endpoints take no access, rules or deny_rules; use "rest" (or leave protocol empty) for L7 rules`,
    );
  }
  if (protocol !== "" && protocol !== "tcp" && access === "" && endpoint.rules.length === 0) {
    // Upstream's own refusal (and words): an L7 protocol with nothing to allow would deny everything.
    throw new EgressPolicyError(
      `${field}.protocol`,
      "protocol requires rules or access to define allowed traffic: add access " +
        '("read-only", "read-write" or "full") or rules, or leave protocol empty for host and port alone',
    );
  }

  const host = compileHostPattern(endpoint.host, `${field}.host`);
  checkLoopback(endpoint, host, field);
  const allowedIps = compileAllowedIps(endpoint.allowedIps, `${field}.allowed_ips`);
  if (endpoint.host.trim() === "" && allowedIps === undefined) {
    throw new EgressPolicyError(
      `${field}.host`,
      "no host: set host, or allowed_ips for an endpoint matched by address alone",
    );
  }

  const allows =
    endpoint.rules.length === 0
      ? undefined
      : endpoint.rules.map((r, i) => {
          if (!r.allow) throw new EgressPolicyError(`${field}.rules[${i}].allow`, "is required");
          return compileMatcher(r.allow, `${field}.rules[${i}].allow`);
        });
  const denies = endpoint.denyRules.map((d, i) => compileMatcher(d, `${field}.deny_rules[${i}]`));
  const typedAccess = access === "" ? undefined : (access as Access);
  const l7 =
    (typedAccess !== undefined && typedAccess !== "full") || allows !== undefined || denies.length > 0;
  if (endpoint.requestBodyCredentialRewrite && protocol !== "rest") {
    // Upstream's CLI refuses it likewise (its policy loader ignores it with a warning, and refuses
    // it outright on "tcp"): only a "rest" endpoint's requests are read as HTTP to rewrite.
    throw new EgressPolicyError(
      `${field}.request_body_credential_rewrite`,
      `needs protocol "rest" (this endpoint's is ${JSON.stringify(protocol)}): set protocol: rest with access or rules, or remove it`,
    );
  }
  if (endpoint.websocketCredentialRewrite && protocol !== "rest" && protocol !== "websocket") {
    // Upstream's policy loader refuses it on "tcp" ("protocol tcp does not support L7-only fields")
    // and ignores it with a warning elsewhere; its CLI refuses it unless rest or websocket.
    throw new EgressPolicyError(
      `${field}.websocket_credential_rewrite`,
      `needs protocol "rest" or "websocket" (this endpoint's is ${JSON.stringify(protocol)}): set one with access or rules, or remove it`,
    );
  }
  if (tls === "skip" && endpoint.websocketCredentialRewrite) {
    throw new EgressPolicyError(
      `${field}.tls`,
      '"skip" tunnels the bytes unread, so websocket_credential_rewrite could never apply: leave tls empty ' +
        "(TLS is then terminated and the websocket's messages read), or remove it",
    );
  }
  if (tls === "skip" && (l7 || endpoint.requestBodyCredentialRewrite)) {
    throw new EgressPolicyError(
      `${field}.tls`,
      '"skip" tunnels the bytes unread, so access, rules, deny_rules and request_body_credential_rewrite ' +
        "could never apply: leave tls empty (TLS is then terminated and each request checked), or remove them",
    );
  }
  return {
    rule,
    index,
    host,
    ports: compilePorts(endpoint, field),
    audit: enforcement !== "enforce",
    // Bodies are rewritten only in requests the proxy reads, so plain bytes in a CONNECT are parsed too.
    tunnel:
      tls === "skip"
        ? "skip"
        : l7 || endpoint.requestBodyCredentialRewrite || endpoint.websocketCredentialRewrite
          ? "l7"
          : "l4",
    access: typedAccess,
    allows,
    denies,
    allowedIps,
    allowedIpsText: endpoint.allowedIps.map((ip) => ip.trim()),
    l7,
    pathRules: [...(allows ?? []), ...denies].some((m) => m.path !== undefined),
    requestBodyCredentialRewrite: endpoint.requestBodyCredentialRewrite,
    websocketCredentialRewrite: endpoint.websocketCredentialRewrite,
    requestBodyCredentialGuard:
      protocol !== "" &&
      protocol !== "tcp" &&
      !endpoint.requestBodyCredentialRewrite &&
      !endpoint.allowUninspectedCredentials,
  };
}
