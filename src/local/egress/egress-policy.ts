import type { NetworkPolicyRule } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { isPrivateAddress } from "./address-ranges.js";
import { type CompiledEndpoint, compileEndpoint, type TunnelMode } from "./compile-endpoint.js";
import { ruleField } from "./egress-policy-error.js";
import { endpointVerdict, type L7Request, rulePath } from "./endpoint-verdict.js";
import { normalizeHost } from "./host-pattern.js";

export { EgressPolicyError } from "./egress-policy-error.js";

/** A connection or request a sandbox asks the egress proxy for. */
export interface EgressRequest {
  host: string;
  port: number;
  /** A plain HTTP request (absolute URI), or a CONNECT tunnel (opaque: only host and port are seen). */
  kind: "http" | "connect";
  /** For kind "http"; default GET. */
  method?: string;
  /**
   * For kind "http": the request target's path; a query is allowed and ignored by the rules.
   * Default "/". The proxy passes the path alone, so its events never carry query strings.
   */
  path?: string;
  /** For kind "http": a websocket upgrade (whose messages the proxy relays unread). */
  websocket?: boolean;
}

export interface EgressDecision {
  allowed: boolean;
  /** true when allowed only because the matched endpoint is enforcement "audit" */
  audited: boolean;
  /** the network_policies key of the rule that decided, when one did */
  rule?: string;
  /** when allowed: what the proxy does with a CONNECT (the deciding endpoint's; see TunnelMode) */
  tunnel?: TunnelMode;
  /** one line saying why, e.g. `no endpoint of any rule matches evil.test:80` or `rule "github": method DELETE not allowed by access read-only` */
  reason: string;
  /**
   * Set on a refusal a rule for the host and port would not fix, so the policy advisor proposes
   * none: `binaries` (the connecting process's binary is in none of the `binaries` of the rules that
   * match), `credential` (the host is allowed; a credential placeholder may not go there).
   */
  deniedBy?: "binaries" | "credential";
  /**
   * When allowed by an endpoint with `request_body_credential_rewrite`: the proxy reads the request
   * body (at most 256 KiB) so credential placeholders in it are resolved too.
   */
  requestBodyCredentialRewrite?: true;
  /**
   * When allowed by an endpoint with `websocket_credential_rewrite`: a websocket upgrade's text
   * messages from the sandbox are read and their credential placeholders resolved.
   */
  websocketCredentialRewrite?: true;
  /**
   * When allowed by an endpoint with an HTTP protocol that neither rewrites bodies nor has
   * `allow_uninspected_credentials`: a request body streams, and is cut off if it shows a credential
   * placeholder (upstream's backstop), in sandboxes whose credentials the proxy resolves.
   */
  requestBodyCredentialGuard?: true;
}

/** An endpoint named by rule and position, with what it matches. */
export interface EgressEndpointRef {
  rule: string;
  index: number;
  host: string;
  ports: readonly number[];
}

/** `network_policies`, compiled: immutable, and safe to share between connections. */
export interface EgressPolicy {
  /**
   * Decides a request. Call it first without `address`, before resolving the host (so a denied
   * host is never looked up), then with each resolved address before connecting to it: that second
   * call also applies `allowed_ips`, and lets an endpoint whose host is a glob (or absent) reach a
   * private address only through its `allowed_ips`, as upstream does. Address failures are never
   * audited: they are denied whatever the enforcement. (Loopback, link-local and other addresses
   * the proxy never connects to are the proxy's own check, see `EgressProxyOptions.resolve`.)
   *
   * `reserved` is the class of such an address ("loopback", "link-local", ...) when the gateway's
   * own resolver gave it for the host: then only an endpoint naming the host exactly reaches it,
   * never a glob or hostless one, whatever its `allowed_ips` (those match names nobody listed, and
   * must not reach the gateway host through the names the gateway resolves itself).
   */
  decide(request: EgressRequest, address?: string, reserved?: string): EgressDecision;
  /**
   * Endpoints (enforce or audit) with L7 rules: a CONNECT to them is allowed on host and port, and
   * the proxy checks each HTTP request inside it (TLS terminated, or plain HTTP parsed).
   */
  readonly needsPlainHttp: readonly EgressEndpointRef[];
}

/**
 * Compiles a sandbox policy's `network_policies` for the local egress proxy.
 *
 * Matching: `host` exact (case-insensitive, trailing dot ignored), an IP address (only itself),
 * `*.example.com` (one label in front), `**.example.com` (one or more), or empty with `allowed_ips`
 * (any host whose address is in them); `port` and `ports` (their union; one is required, there is
 * no default). Endpoints naming a loopback host (`localhost`, 127.0.0.0/8, ::1) are refused: seen
 * from the proxy, that is the gateway host. `enforcement` "" is audit (as upstream): only "enforce"
 * denies an L7 violation. L7 rules (`access`, `rules`, `deny_rules`) apply to every HTTP request
 * (plain, or inside a CONNECT the proxy terminates), to the decoded path without the query. `tls`
 * "", "terminate" and "passthrough" mean auto (TLS detected and terminated); "skip" a raw tunnel.
 *
 * When several endpoints match one request: a deny rule of an enforced endpoint denies it; else any
 * endpoint that allows it allows it; else an audit endpoint allows it, audited; else it is denied
 * with the first endpoint's reason.
 *
 * `binaries` are not looked at here: compileSandboxPolicy (binary-rules.ts) checks them against the
 * process behind each connection, or says why it cannot (process-visibility.ts).
 *
 * @throws EgressPolicyError naming the field, for anything the proxy cannot enforce: L7 rules on
 *   a `tls: skip` endpoint, protocols other than "", tcp, rest, http and websocket, and GraphQL,
 *   JSON-RPC, MCP, query, signing and most credential fields (`request_body_credential_rewrite`
 *   is kept, on "rest" endpoints; `websocket_credential_rewrite` on "rest" and "websocket" ones).
 */
export function compileEgressPolicy(networkPolicies: Record<string, NetworkPolicyRule>): EgressPolicy {
  const endpoints: CompiledEndpoint[] = [];
  for (const [key, rule] of Object.entries(networkPolicies)) {
    const field = ruleField(key);
    const compiled = rule.endpoints.map((endpoint, i) =>
      compileEndpoint(key, i, endpoint, `${field}.endpoints[${i}]`),
    );
    endpoints.push(...compiled);
  }
  return new CompiledEgressPolicy(endpoints);
}

/**
 * A policy that denies every request with `reason`: for a sandbox whose stored policy cannot be
 * compiled (one stored before the checks it now fails), so it fails closed and says why.
 */
export function denyAllEgressPolicy(reason: string): EgressPolicy {
  return Object.freeze({
    decide: (): EgressDecision => ({ allowed: false, audited: false, reason }),
    needsPlainHttp: Object.freeze([]),
  });
}

class CompiledEgressPolicy implements EgressPolicy {
  readonly needsPlainHttp: readonly EgressEndpointRef[];

  constructor(private readonly endpoints: readonly CompiledEndpoint[]) {
    this.needsPlainHttp = Object.freeze(
      endpoints
        .filter((e) => e.l7)
        .map((e) => Object.freeze({ rule: e.rule, index: e.index, host: e.host.text, ports: [...e.ports] })),
    );
    Object.freeze(this);
  }

  decide(request: EgressRequest, address?: string, reserved?: string): EgressDecision {
    const host = normalizeHost(request.host);
    const target = `${host.includes(":") ? `[${host}]` : host}:${request.port}`;
    let candidates = this.endpoints.filter((e) => e.ports.has(request.port) && e.host.matches(host));
    if (candidates.length === 0) return denied(`no endpoint of any rule matches ${target}`);

    if (address !== undefined) {
      const problem = (e: CompiledEndpoint) => addressProblem(e, host, address, reserved);
      const reached = candidates.filter((e) => problem(e) === undefined);
      if (reached.length === 0) {
        const first = candidates[0] as CompiledEndpoint;
        return denied(`${target} resolves to ${address}, which ${problem(first)}`, first.rule);
      }
      candidates = reached;
    }

    const l7: L7Request = {
      kind: request.kind,
      method: (request.method ?? "GET").toUpperCase(),
      path: rulePath(request.path),
      rawPath: (request.path ?? "/").split("?")[0] || "/",
      websocket: request.websocket === true,
      target,
    };
    let firstFailure: { endpoint: CompiledEndpoint; why: string } | undefined;
    let audited: { endpoint: CompiledEndpoint; why: string } | undefined;
    let passed: CompiledEndpoint | undefined;
    for (const endpoint of candidates) {
      const verdict = endpointVerdict(endpoint, l7);
      if (verdict.pass) {
        passed ??= endpoint;
        continue;
      }
      if (verdict.denyRule && !endpoint.audit)
        return denied(`rule ${q(endpoint.rule)}: ${verdict.why}`, endpoint.rule);
      firstFailure ??= { endpoint, why: verdict.why };
      if (endpoint.audit) audited ??= { endpoint, why: verdict.why };
    }
    if (passed !== undefined) {
      return {
        allowed: true,
        audited: false,
        rule: passed.rule,
        tunnel: passed.tunnel,
        ...(passed.requestBodyCredentialRewrite ? { requestBodyCredentialRewrite: true } : {}),
        ...(passed.websocketCredentialRewrite ? { websocketCredentialRewrite: true } : {}),
        ...(passed.requestBodyCredentialGuard ? { requestBodyCredentialGuard: true } : {}),
        reason: `allowed by rule ${q(passed.rule)}`,
      };
    }
    if (audited !== undefined) {
      const rule = audited.endpoint.rule;
      return {
        allowed: true,
        audited: true,
        rule,
        tunnel: audited.endpoint.tunnel,
        ...(audited.endpoint.requestBodyCredentialRewrite ? { requestBodyCredentialRewrite: true } : {}),
        ...(audited.endpoint.websocketCredentialRewrite ? { websocketCredentialRewrite: true } : {}),
        ...(audited.endpoint.requestBodyCredentialGuard ? { requestBodyCredentialGuard: true } : {}),
        reason: `audit only, rule ${q(rule)} would deny: ${audited.why}`,
      };
    }
    const failure = firstFailure as { endpoint: CompiledEndpoint; why: string };
    return denied(`rule ${q(failure.endpoint.rule)}: ${failure.why}`, failure.endpoint.rule);
  }
}

const q = (s: string) => JSON.stringify(s);

function denied(reason: string, rule?: string): EgressDecision {
  return rule === undefined
    ? { allowed: false, audited: false, reason }
    : { allowed: false, audited: false, rule, reason };
}

/**
 * Why `endpoint` does not reach `address` (completing "which ..."), or undefined when it does.
 * `reserved`: see {@link EgressPolicy.decide}.
 */
function addressProblem(
  endpoint: CompiledEndpoint,
  host: string,
  address: string,
  reserved: string | undefined,
): string | undefined {
  if (reserved !== undefined && endpoint.host.broad) {
    const how = endpoint.host.text.trim() === "" ? "with no host" : `by the glob ${q(endpoint.host.text)}`;
    return (
      `is a ${reserved} address, reached only by an endpoint that names ${host} exactly; ` +
      `rule ${q(endpoint.rule)} matches it ${how}`
    );
  }
  if (endpoint.allowedIps !== undefined) {
    return endpoint.allowedIps.has(address)
      ? undefined
      : `is not in allowed_ips (${endpoint.allowedIpsText.join(", ")}) of rule ${q(endpoint.rule)}`;
  }
  if (endpoint.host.broad && isPrivateAddress(address)) {
    return (
      `is private, and rule ${q(endpoint.rule)} names the host by a glob: ` +
      "list the address in the endpoint's allowed_ips to allow it"
    );
  }
  return undefined;
}
