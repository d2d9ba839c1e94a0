import type { L7Allow, L7DenyRule, NetworkPolicyRule } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { ruleField } from "./egress-policy-error.js";

/**
 * A line naming the L7 rules that leave `method` empty, which upstream's policy engine matches
 * against no request at all (only `*` or the method itself match): an allow rule that allows
 * nothing, a deny rule that denies nothing. Local mode does the same so a policy means one thing in
 * both places, and says so on the sandbox's log, since the rule was surely meant to do something.
 * Undefined when every rule names a method.
 */
export function methodlessRules(networkPolicies: Record<string, NetworkPolicyRule>): string | undefined {
  const fields: string[] = [];
  const check = (m: L7Allow | L7DenyRule | undefined, field: string) => {
    if (m !== undefined && m.method.trim() === "") fields.push(`${field}.method`);
  };
  for (const [key, rule] of Object.entries(networkPolicies)) {
    for (const [i, endpoint] of rule.endpoints.entries()) {
      const at = `${ruleField(key)}.endpoints[${i}]`;
      for (const [j, r] of endpoint.rules.entries()) check(r.allow, `${at}.rules[${j}].allow`);
      for (const [j, d] of endpoint.denyRules.entries()) check(d, `${at}.deny_rules[${j}]`);
    }
  }
  if (fields.length === 0) return undefined;
  return (
    `an L7 rule with an empty method matches no request, as on the gateway (write "*" for any method): ` +
    `${fields.join(", ")}`
  );
}
