import type { NetworkPolicyRule } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { type BinaryPattern, compileBinaryPatterns } from "../processes/binary-patterns.js";
import type { BinaryChecker } from "../processes/process-inspector.js";
import {
  compileEgressPolicy,
  type EgressDecision,
  type EgressPolicy,
  type EgressRequest,
} from "./egress-policy.js";
import { EgressPolicyError, ruleField } from "./egress-policy-error.js";

/**
 * The `binaries` of a sandbox's rules, beside the policy compiled without them: which rules a
 * request needs a process lookup for, and the policy to decide with once some rules are known to
 * be missed by the connecting process (those rules removed, as upstream's matcher skips a rule
 * whose binaries do not match, whatever its enforcement).
 */
export interface SandboxBinaries {
  /** The rules with binaries whose endpoints match the request's host and port (key -> binaries). */
  rulesFor(request: EgressRequest): ReadonlyMap<string, readonly BinaryPattern[]>;
  /**
   * The policy without `denied` (rule key -> why the process misses it); when nothing else matches,
   * its denial names the binary and the first of those rules.
   */
  without(denied: ReadonlyMap<string, string>): EgressPolicy;
  /** Finds the connecting process; absent where the gateway cannot see the sandbox's processes. */
  checker?: BinaryChecker;
}

/** A sandbox's `network_policies` compiled for the proxy, binaries apart. */
export interface CompiledSandboxPolicy {
  policy: EgressPolicy;
  /** Undefined when no rule names binaries (an empty list means any binary). */
  binaries?: SandboxBinaries;
}

const stripped = (rule: NetworkPolicyRule): NetworkPolicyRule => ({ ...rule, binaries: [] });

/**
 * Compiles `network_policies` with their `binaries` enforced by process (see process-inspector.ts)
 * rather than refused: `compileEgressPolicy` checks everything else, on the rules without binaries.
 *
 * @throws EgressPolicyError naming the field for what compileEgressPolicy refuses, and for a binary
 *   path that is empty or neither absolute nor a glob.
 */
export function compileSandboxPolicy(
  networkPolicies: Record<string, NetworkPolicyRule>,
  checker?: BinaryChecker,
): CompiledSandboxPolicy {
  const rules = Object.entries(networkPolicies);
  const plain = Object.fromEntries(rules.map(([key, rule]) => [key, stripped(rule)]));
  const policy = compileEgressPolicy(plain);
  const patterns = new Map<string, readonly BinaryPattern[]>();
  for (const [key, rule] of rules) {
    const compiled = compileBinaryPatterns(
      rule.binaries,
      (i, why) => new EgressPolicyError(`${ruleField(key)}.binaries[${i}].path`, why),
    );
    if (compiled.length > 0) patterns.set(key, Object.freeze(compiled));
  }
  if (patterns.size === 0) return { policy };
  return { policy, binaries: new RulesWithBinaries(plain, patterns, checker) };
}

/** How many policies without some rules are kept: one per combination of missed rules seen. */
const MAX_SUBSETS = 32;

class RulesWithBinaries implements SandboxBinaries {
  /** Each rule with binaries alone, to tell whether its endpoints match a request. */
  private readonly alone: ReadonlyMap<string, EgressPolicy>;
  private readonly subsets = new Map<string, EgressPolicy>();

  constructor(
    private readonly plain: Record<string, NetworkPolicyRule>,
    private readonly patterns: ReadonlyMap<string, readonly BinaryPattern[]>,
    readonly checker: BinaryChecker | undefined,
  ) {
    this.alone = new Map(
      [...patterns.keys()].map((key) => [
        key,
        compileEgressPolicy({ [key]: plain[key] as NetworkPolicyRule }),
      ]),
    );
  }

  rulesFor(request: EgressRequest): ReadonlyMap<string, readonly BinaryPattern[]> {
    const found = new Map<string, readonly BinaryPattern[]>();
    for (const [key, policy] of this.alone) {
      // A denial naming no rule is "no endpoint matches": any other verdict came from one of its endpoints.
      const decision = policy.decide(request);
      if (decision.allowed || decision.rule !== undefined)
        found.set(key, this.patterns.get(key) as BinaryPattern[]);
    }
    return found;
  }

  without(denied: ReadonlyMap<string, string>): EgressPolicy {
    const key = JSON.stringify([...denied.keys()].sort());
    let policy = this.subsets.get(key);
    if (policy === undefined) {
      const kept = Object.fromEntries(Object.entries(this.plain).filter(([rule]) => !denied.has(rule)));
      policy = compileEgressPolicy(kept);
      if (this.subsets.size >= MAX_SUBSETS) this.subsets.clear();
      this.subsets.set(key, policy);
    }
    return namingBinaries(policy, denied);
  }
}

/** `policy`, whose "no endpoint matches" denials say which binary missed which rule instead. */
function namingBinaries(policy: EgressPolicy, denied: ReadonlyMap<string, string>): EgressPolicy {
  const [rule, why] = denied.entries().next().value as [string, string];
  // Everything else of the policy as it is (its other members may grow), decide() wrapped.
  const wrapped: EgressPolicy = Object.create(policy);
  Object.defineProperty(wrapped, "decide", {
    value(request: EgressRequest, address?: string, reserved?: string): EgressDecision {
      const decision = policy.decide(request, address, reserved);
      if (decision.allowed || decision.rule !== undefined) return decision;
      return {
        allowed: false,
        audited: false,
        rule,
        reason: `rule ${JSON.stringify(rule)}: ${why}`,
        deniedBy: "binaries",
      };
    },
  });
  return wrapped;
}
