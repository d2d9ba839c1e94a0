import { type EgressHost, egressKey, parseEgressHost, uniqueHosts } from "../model/egress-host.js";

/**
 * A sandbox policy with network rules only, as `os.sandboxes.create({ policy })` takes it. A plain
 * object, so `{ ...agentPolicy(input), process: { runAsUser: "1000", runAsGroup: "1000" } }` adds
 * the sections it leaves out.
 */
export interface AgentSandboxPolicy {
  /** The policy format version (1). */
  version: number;
  /** Rules by name: {@link MODEL_RULE} and {@link EGRESS_RULE}, each present only with hosts. */
  networkPolicies: Record<string, AgentNetworkRule>;
}

/**
 * One rule of {@link AgentSandboxPolicy}: a plain object (a `NetworkPolicyRuleInit`), so a copy
 * spread with `binaries` added still type-checks.
 */
export interface AgentNetworkRule {
  /** The rule's key. */
  name: string;
  /** Where it allows connections to. */
  endpoints: AgentNetworkEndpoint[];
  /** Programs allowed to use the rule (absolute paths or globs); never set by {@link agentPolicy}. */
  binaries?: { path: string }[];
}

/** One endpoint of an {@link AgentNetworkRule}. */
export interface AgentNetworkEndpoint {
  /** A DNS name or IPv4 address. */
  host: string;
  /** The TCP port. */
  port: number;
  /** `rest` on model hosts: the requests are inspected (TLS terminated). */
  protocol?: string;
  /** Always `enforce`: a request the rules do not allow is answered 403. */
  enforcement: string;
  /** `full` on model hosts whose API paths are not known: any method and path. */
  access?: string;
  /** Method and path rules, on model hosts whose API paths are known. */
  rules?: { allow: { method: string; path: string } }[];
}

/** Input of {@link agentPolicy}. */
export interface AgentPolicyInput {
  /** The model hosts (a model access plan's `hosts`). */
  hosts?: readonly EgressHost[];
  /** `runtimeConfig.egressHosts`: `host` or `host:port` (443 when no port). */
  egressHosts?: readonly string[];
}

/** The `network_policies` key of the model hosts' rule. */
export const MODEL_RULE = "agent-model";
/** The `network_policies` key of the rule for `runtimeConfig.egressHosts`. */
export const EGRESS_RULE = "agent-egress";

type Allow = { method: string; path: string };

/**
 * The requests the OpenShell proof of concept allowed to a model host on 443, by host. Upstream
 * matches no method when `method` is empty, so "any method" is spelled `*`.
 */
const MODEL_HOST_RULES: ReadonlyMap<string, readonly Allow[]> = new Map([
  ["integrate.api.nvidia.com", [{ method: "POST", path: "/v1/**" }]],
  [
    "generativelanguage.googleapis.com",
    [
      { method: "*", path: "/v1beta/**" },
      { method: "*", path: "/v1/**" },
    ],
  ],
]);

function modelEndpoint({ host, port }: EgressHost): AgentNetworkEndpoint {
  // `protocol: rest` makes upstream inspect the requests, and it refuses rest without rules or
  // access: a host whose API paths are not known here gets `access: full` (any method and path).
  const base = { host, port, protocol: "rest", enforcement: "enforce" };
  const allows = port === 443 ? MODEL_HOST_RULES.get(host) : undefined;
  if (allows === undefined) return { ...base, access: "full" };
  return { ...base, rules: allows.map((allow) => ({ allow: { ...allow } })) };
}

function egressEndpoint({ host, port }: EgressHost): AgentNetworkEndpoint {
  // enforcement spelled out: upstream's default (empty) is audit.
  return { host, port, enforcement: "enforce" };
}

/**
 * The sandbox policy of a deployed agent: egress to its model host(s) and to
 * `runtimeConfig.egressHosts`, and nothing else (no rule = no egress).
 *
 * Only `network_policies` is set, in a shape both the OpenShell gateway and `OpenShell.local()` on
 * Docker and Podman accept and enforce (local mode terminates the sandbox's TLS, so method and
 * path rules apply to HTTPS too):
 * - {@link MODEL_RULE}: each model host with `protocol: "rest"` and `enforcement: "enforce"`; for
 *   the hosts the proof of concept had rules for, its method and path rules on 443
 *   (`integrate.api.nvidia.com`: `POST /v1/**`; `generativelanguage.googleapis.com`: any method on
 *   `/v1beta/**` and `/v1/**`), anything else answered 403; other model hosts (and those on
 *   another port, from a Model's base URL) `access: "full"`, since the adapter does not know
 *   which paths their API uses;
 * - {@link EGRESS_RULE}: `runtimeConfig.egressHosts` as plain host and port, enforced.
 *
 * Left out on purpose:
 * - `binaries`: nothing the registry gives (Agent, Deployment, `runtimeConfig`) names the agent's
 *   programs, so every process of the sandbox may use these rules. Add them to your own copy:
 *   `{ ...policy.networkPolicies[MODEL_RULE], binaries: [{ path: "/usr/bin/python3.12" }] }`
 *   (local mode checks them where it sees the sandbox's processes: rootful Docker or Podman on Linux);
 * - filesystem, landlock and process: the gateway's defaults apply (in local mode the workdir and
 *   /tmp writable, landlock best_effort, the image's non-root user). Spread this result into a
 *   policy of your own to set them.
 *
 * `inference.local` needs no rule: the gateway answers it itself.
 *
 * @throws InvalidArgumentError naming `egressHosts[i]` for an entry that is not host or host:port.
 */
export function agentPolicy(input: AgentPolicyInput): AgentSandboxPolicy {
  const model = uniqueHosts(input.hosts ?? []);
  const modelKeys = new Set(model.map(egressKey));
  const extra = uniqueHosts(
    (input.egressHosts ?? []).map((text, i) => parseEgressHost(text, `egressHosts[${i}]`)),
  ).filter((egress) => !modelKeys.has(egressKey(egress)));
  const networkPolicies: Record<string, AgentNetworkRule> = {};
  if (model.length > 0)
    networkPolicies[MODEL_RULE] = { name: MODEL_RULE, endpoints: model.map(modelEndpoint) };
  if (extra.length > 0)
    networkPolicies[EGRESS_RULE] = { name: EGRESS_RULE, endpoints: extra.map(egressEndpoint) };
  return { version: 1, networkPolicies };
}
