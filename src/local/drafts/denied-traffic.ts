import { create } from "@bufbuild/protobuf";
import {
  type NetworkEndpoint,
  NetworkEndpointSchema,
  type NetworkPolicyRule,
  NetworkPolicyRuleSchema,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type { Access } from "../egress/compile-endpoint.js";
import type { EgressRequest } from "../egress/egress-policy.js";
import { normalizeHost } from "../egress/host-pattern.js";

/**
 * What the egress proxy saw a sandbox try and fail at one host and port: the traffic a draft chunk
 * proposes to allow. Kept as observations (not as the rule) so a later denial can widen the
 * proposal, e.g. a POST after a GET asks for read-write instead of read-only.
 */
export interface DeniedTraffic {
  /** Normalized: lower case, no trailing dot, canonical IPv6. */
  host: string;
  port: number;
  /** Whether a CONNECT tunnel was refused: then only a layer-4 rule helps (the proxy cannot see inside). */
  tunnel: boolean;
  /** Methods of refused plain HTTP requests, upper case, sorted. */
  methods: string[];
  /** Whether a refused request was a websocket upgrade. */
  websocket: boolean;
}

/** Upstream's access presets, narrowest first, with the methods each allows (as the proxy applies them). */
const ACCESS_LEVELS: readonly (readonly [Access, ReadonlySet<string>])[] = [
  ["read-only", new Set(["GET", "HEAD", "OPTIONS"])],
  ["read-write", new Set(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"])],
];

/** The traffic of one denied request; `host` and `port` are the key of its chunk. */
export function deniedTraffic(request: EgressRequest): DeniedTraffic {
  const http = request.kind === "http";
  return {
    host: normalizeHost(request.host),
    port: request.port,
    tunnel: !http,
    methods: http ? [(request.method ?? "GET").toUpperCase()] : [],
    websocket: http && request.websocket === true,
  };
}

/** Both observations together (same host and port). */
export function mergeTraffic(seen: DeniedTraffic, more: DeniedTraffic): DeniedTraffic {
  return {
    host: seen.host,
    port: seen.port,
    tunnel: seen.tunnel || more.tunnel,
    methods: [...new Set([...seen.methods, ...more.methods])].sort(),
    websocket: seen.websocket || more.websocket,
  };
}

/** Whether `more` asks for nothing `seen` does not already cover (then the proposal stays as it is). */
export function sameTraffic(seen: DeniedTraffic, more: DeniedTraffic): boolean {
  const merged = mergeTraffic(seen, more);
  return (
    merged.tunnel === seen.tunnel &&
    merged.websocket === seen.websocket &&
    merged.methods.length === seen.methods.length
  );
}

/**
 * The `network_policies` key a chunk proposes: `allow_<host>_<port>`, with every character a
 * policy key would rather not hold (dots, colons) as `_`, e.g. `allow_api_example_com_443`.
 */
export function draftRuleName(host: string, port: number): string {
  return `allow_${host.replace(/[^a-z0-9-]/g, "_")}_${port}`;
}

/** The narrowest access preset that allows every method in `methods`; `full` when none does. */
function accessFor(methods: readonly string[]): Access {
  for (const [access, allowed] of ACCESS_LEVELS) {
    if (methods.every((m) => allowed.has(m))) return access;
  }
  return "full";
}

/**
 * The endpoint that would have let the traffic through, enforced:
 * - a refused CONNECT: protocol "" and no access, since the proxy sees only host and port of a tunnel
 *   (an L7 rule there would still refuse it);
 * - plain HTTP only: protocol "rest" (or "websocket" when an upgrade was refused) with the narrowest
 *   access preset that allows every refused method.
 */
export function proposedEndpoint(traffic: DeniedTraffic): NetworkEndpoint {
  const l7 = !traffic.tunnel;
  return create(NetworkEndpointSchema, {
    host: traffic.host,
    port: traffic.port,
    protocol: !l7 ? "" : traffic.websocket ? "websocket" : "rest",
    // A refused websocket's messages need read-write, the preset that lets a websocket's client speak.
    access: !l7
      ? ""
      : traffic.websocket
        ? widest(accessFor(traffic.methods), "read-write")
        : accessFor(traffic.methods),
    enforcement: "enforce",
    advisorProposed: true,
  });
}

function widest(a: Access, b: Access): Access {
  const rank = (x: Access) => (x === "read-only" ? 0 : x === "read-write" ? 1 : 2);
  return rank(a) >= rank(b) ? a : b;
}

/**
 * The rule a chunk proposes for the traffic: one endpoint and no binaries, since local mode's proxy
 * cannot tell which process in the sandbox connected (and refuses enforced rules limited to binaries).
 */
export function proposedRule(traffic: DeniedTraffic): NetworkPolicyRule {
  return create(NetworkPolicyRuleSchema, {
    name: draftRuleName(traffic.host, traffic.port),
    endpoints: [proposedEndpoint(traffic)],
  });
}

/** Why the chunk exists, in a line a reviewer reads: what was refused and why. */
export function draftRationale(traffic: DeniedTraffic, reason: string): string {
  const what = [
    ...(traffic.tunnel ? ["CONNECT tunnels"] : []),
    ...(traffic.methods.length > 0 ? [`HTTP ${traffic.methods.join(", ")} requests`] : []),
  ].join(" and ");
  return (
    `${what} from the sandbox to ${traffic.host}:${traffic.port} were denied by the egress proxy (${reason}); ` +
    "local mode cannot see which binary connected, so the rule applies to every process in the sandbox"
  );
}
