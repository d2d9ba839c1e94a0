import type { NetworkPolicyRule } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { ruleField } from "./egress-policy-error.js";

/**
 * A line saying which endpoints set `tls` to "terminate" or "passthrough", which upstream
 * deprecated: both now mean what an empty `tls` does (TLS detected and terminated on every
 * endpoint). Undefined when none does. For the sandbox's log when a policy version loads.
 */
export function deprecatedTlsValues(networkPolicies: Record<string, NetworkPolicyRule>): string | undefined {
  const fields: string[] = [];
  for (const [key, rule] of Object.entries(networkPolicies)) {
    for (const [i, endpoint] of rule.endpoints.entries()) {
      const tls = endpoint.tls.trim().toLowerCase();
      if (tls === "terminate" || tls === "passthrough") {
        fields.push(`${ruleField(key)}.endpoints[${i}].tls (${JSON.stringify(endpoint.tls)})`);
      }
    }
  }
  if (fields.length === 0) return undefined;
  return (
    `tls "terminate" and "passthrough" are deprecated and mean the same as leaving tls empty: the egress ` +
    `proxy detects TLS and terminates it on every endpoint ("skip" keeps a raw tunnel). Set in ${fields.join(", ")}`
  );
}
