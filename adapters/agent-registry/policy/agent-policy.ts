import type { NetworkPolicyRuleInit } from "openshell";
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
  networkPolicies: Record<string, NetworkPolicyRuleInit>;
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

function rule(name: string, hosts: readonly EgressHost[]): NetworkPolicyRuleInit {
  // enforcement spelled out: an empty one means enforce in local mode but audit for L7 upstream.
  return { name, endpoints: hosts.map(({ host, port }) => ({ host, port, enforcement: "enforce" })) };
}

/**
 * The sandbox policy of a deployed agent: egress to its model host(s) and to
 * `runtimeConfig.egressHosts`, each as a host and port, and nothing else (no rule = no egress).
 *
 * Only `network_policies` is set, with plain host:port endpoints that both the OpenShell gateway
 * and `OpenShell.local()` on Docker and Podman accept and enforce. Left out on purpose:
 * - the proof of concept's method and path rules (`POST /v1/**` for NVIDIA, `/v1beta/**` for
 *   Google): local mode accepts L7 rules, but applies them to plain-HTTP requests only, since it
 *   does not decrypt TLS, and so denies every HTTPS connection to an endpoint that has them;
 * - `binaries`: local mode cannot see which process connects and refuses them on enforced rules;
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
  const networkPolicies: Record<string, NetworkPolicyRuleInit> = {};
  if (model.length > 0) networkPolicies[MODEL_RULE] = rule(MODEL_RULE, model);
  if (extra.length > 0) networkPolicies[EGRESS_RULE] = rule(EGRESS_RULE, extra);
  return { version: 1, networkPolicies };
}
