import { clone, create } from "@bufbuild/protobuf";
import {
  type NetworkEndpoint,
  NetworkPolicyRuleSchema,
  type SandboxPolicy,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type { PolicyMergeOperation } from "../../gen/openshell/v1/openshell_pb.js";
import { invalidArgument, notFound } from "./gateway-errors.js";

function endpointMatches(endpoint: NetworkEndpoint, host: string, port: number): boolean {
  if (endpoint.host !== host) return false;
  return port === 0 || endpoint.port === port || endpoint.ports.includes(port);
}

/** Endpoints of every rule that serve host:port; an operation on none of them is an error. */
function endpointsFor(policy: SandboxPolicy, host: string, port: number): NetworkEndpoint[] {
  const found = Object.values(policy.networkPolicies).flatMap((rule) =>
    rule.endpoints.filter((e) => endpointMatches(e, host, port)),
  );
  if (found.length === 0) throw notFound(`no network endpoint ${host}:${port} in the policy`);
  return found;
}

/** Applies UpdateConfig's merge_operations, in order, to `policy` (mutated). */
export function applyMergeOperations(policy: SandboxPolicy, operations: PolicyMergeOperation[]): void {
  const rules = policy.networkPolicies;
  const ruleNamed = (name: string) => {
    const rule = rules[name];
    if (!rule) throw notFound(`no network policy rule "${name}"`);
    return rule;
  };
  for (const { operation } of operations) {
    switch (operation.case) {
      case "addRule": {
        const { ruleName, rule } = operation.value;
        const added = rule ? clone(NetworkPolicyRuleSchema, rule) : create(NetworkPolicyRuleSchema);
        added.name ||= ruleName;
        rules[ruleName] = added;
        break;
      }
      case "removeRule":
        ruleNamed(operation.value.ruleName);
        delete rules[operation.value.ruleName];
        break;
      case "removeEndpoint": {
        const { ruleName, host, port } = operation.value;
        const rule = ruleNamed(ruleName);
        rule.endpoints = rule.endpoints.filter((e) => !endpointMatches(e, host, port));
        break;
      }
      case "removeBinary": {
        const { ruleName, binaryPath } = operation.value;
        const rule = ruleNamed(ruleName);
        rule.binaries = rule.binaries.filter((b) => b.path !== binaryPath);
        break;
      }
      case "addAllowRules":
        for (const e of endpointsFor(policy, operation.value.host, operation.value.port)) {
          e.rules.push(...operation.value.rules);
        }
        break;
      case "addDenyRules":
        for (const e of endpointsFor(policy, operation.value.host, operation.value.port)) {
          e.denyRules.push(...operation.value.denyRules);
        }
        break;
      default:
        throw invalidArgument("empty merge operation");
    }
  }
}
