import { InvalidArgumentError } from "../../errors.js";

/**
 * A `network_policies` entry the local egress proxy cannot honour. The message starts with the
 * offending field and says what to do instead; `code` is `"invalid_argument"`.
 */
export class EgressPolicyError extends InvalidArgumentError {
  /** Where in the policy, e.g. `network_policies["github"].endpoints[0].tls`. */
  declare readonly field: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`, { field });
  }
}

/** The field path of a rule, as the errors name it. */
export const ruleField = (key: string): string => `network_policies[${JSON.stringify(key)}]`;
