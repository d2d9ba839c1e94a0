import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { BinaryPattern } from "../processes/binary-patterns.js";
import type { BinaryChecker } from "../processes/process-inspector.js";
import type { ConnectionTuple } from "../processes/socket-owners.js";
import { blockedAddressClass } from "./address-ranges.js";
import type { SandboxBinaries } from "./binary-rules.js";
import type { EgressDecision, EgressPolicy, EgressRequest } from "./egress-policy.js";
import type { EgressClient } from "./egress-types.js";

/** Resolves a host name to addresses; `undefined` from the caller's resolver falls back to DNS. */
export type Resolve = (hostname: string) => Promise<string | undefined> | string | undefined;

export type Admission =
  | { ok: true; address: string; decision: EgressDecision }
  | {
      ok: false;
      status: 403 | 502;
      decision: EgressDecision;
      /** The line the sandbox is answered with. */
      message: string;
      /** For the event, when the policy allowed but the lookup failed. */
      outcome?: string;
    };

export interface AdmissionContext {
  resolve: Resolve | undefined;
  /** The proxy's own listening address, which no request may loop back to. */
  self(): { host: string; port: number };
}

/**
 * The addresses `host` may be reached at. `trusted` when they come from the gateway's own resolver
 * (an embedder's mapping may rightly point at a service on the gateway host, for endpoints that
 * name the host exactly), not from DNS or an IP literal the sandbox sent.
 */
async function addressesOf(
  resolve: Resolve | undefined,
  host: string,
): Promise<{ list: string[]; trusted: boolean }> {
  if (isIP(host) !== 0) return { list: [host], trusted: false };
  const mapped = await resolve?.(host);
  if (mapped !== undefined) return { list: [mapped], trusted: true };
  // IPv4 first: a gateway host without an IPv6 route would otherwise fail on names that have both.
  const found = await lookup(host, { all: true, verbatim: false });
  return { list: found.map((a) => a.address), trusted: false };
}

/**
 * The policy's decision on `request` and, when it allows, the address to connect to: the first
 * resolved address the policy also allows (allowed_ips), and that is not loopback, link-local,
 * unspecified or multicast unless the gateway's own resolver gave it and an endpoint names the host
 * exactly (a glob or hostless endpoint never reaches the gateway host that way). The host is resolved
 * only after the policy allowed the name, so a denied host is never looked up, and the proxy then
 * connects to the very address it checked (no second lookup for DNS rebinding to slip through).
 *
 * Rules with `binaries` that match the host and port are first checked against the process behind
 * the connection (where the gateway can see it): a rule it misses takes no part in the decision.
 */
export async function admit(
  ctx: AdmissionContext,
  client: EgressClient,
  request: EgressRequest,
  origin?: ConnectionOrigin,
): Promise<Admission> {
  const policy = await binaryScopedPolicy(client, request, origin);
  const decision = policy.decide(request);
  if (!decision.allowed) return { ok: false, status: 403, decision, message: decision.reason };
  let addresses: { list: string[]; trusted: boolean };
  try {
    addresses = await addressesOf(ctx.resolve, request.host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      ok: false,
      status: 502,
      decision,
      message: `cannot resolve ${request.host}: ${code}`,
      outcome: `lookup failed: ${code}`,
    };
  }
  let first: EgressDecision | undefined;
  const self = ctx.self();
  for (const address of addresses.list) {
    const blocked = blockedAddressClass(address);
    if (blocked !== undefined && !addresses.trusted) {
      const what = address === request.host ? address : `${request.host} resolves to ${address}, which`;
      first ??= {
        allowed: false,
        audited: false,
        reason: `${what} is a ${blocked} address, which the egress proxy never connects to`,
      };
      continue;
    }
    // From the gateway's own resolver: the policy lets only endpoints naming the host exactly through.
    const checked = policy.decide(request, address, blocked);
    if (checked.allowed && address === self.host && request.port === self.port) {
      first ??= {
        allowed: false,
        audited: false,
        reason: `${request.host}:${request.port} is this egress proxy itself`,
      };
      continue;
    }
    if (checked.allowed) return { ok: true, address, decision: checked };
    first ??= checked;
  }
  const denied = first ?? { allowed: false, audited: false, reason: `${request.host} has no address` };
  return { ok: false, status: 403, decision: denied, message: denied.reason };
}

/** The sandbox's connection a request came on: the socket, and its TCP tuple (when it has one). */
export interface ConnectionOrigin {
  socket: object;
  tuple: ConnectionTuple | undefined;
}

/**
 * What the binaries of a connection's process allow, per policy version and set of rules: asked
 * once per connection, as upstream decides at connect (the process behind a connection does not
 * change), so the requests of a keep-alive or terminated-TLS connection do not look it up again.
 */
const verdicts = new WeakMap<
  object,
  WeakMap<SandboxBinaries, Map<string, Promise<ReadonlyMap<string, string>>>>
>();

function deniedRules(
  binaries: SandboxBinaries & { checker: BinaryChecker },
  rules: ReadonlyMap<string, readonly BinaryPattern[]>,
  origin: ConnectionOrigin | undefined,
): Promise<ReadonlyMap<string, string>> {
  const tuple = origin?.tuple;
  if (origin === undefined || tuple === undefined) {
    const unknown = "policy_denied: the connection's process is unknown";
    return Promise.resolve(new Map([...rules.keys()].map((rule) => [rule, unknown])));
  }
  let byPolicy = verdicts.get(origin.socket);
  if (byPolicy === undefined) {
    byPolicy = new WeakMap();
    verdicts.set(origin.socket, byPolicy);
  }
  let byRules = byPolicy.get(binaries);
  if (byRules === undefined) {
    byRules = new Map();
    byPolicy.set(binaries, byRules);
  }
  const key = JSON.stringify([...rules.keys()].sort());
  let denied = byRules.get(key);
  if (denied === undefined) {
    denied = binaries.checker.check(tuple, rules).then((verdict) => verdict.denied);
    byRules.set(key, denied);
    // A lookup that failed outright is not remembered: the next request asks again.
    denied.catch(() => byRules?.delete(key));
  }
  return denied;
}

/** The client's policy, without the rules whose binaries the connecting process misses. */
async function binaryScopedPolicy(
  client: EgressClient,
  request: EgressRequest,
  origin: ConnectionOrigin | undefined,
): Promise<EgressPolicy> {
  const binaries = client.binaries;
  // No checker: the gateway cannot see processes, and said so when it loaded the policy.
  if (binaries?.checker === undefined) return client.policy;
  const rules = binaries.rulesFor(request);
  if (rules.size === 0) return client.policy;
  const denied = await deniedRules(binaries as SandboxBinaries & { checker: BinaryChecker }, rules, origin);
  return denied.size === 0 ? client.policy : binaries.without(denied);
}
