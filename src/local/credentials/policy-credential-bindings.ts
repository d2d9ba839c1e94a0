import { FailedPreconditionError, InvalidArgumentError } from "../../errors.js";
import type { Provider } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { ruleField } from "../egress/egress-policy-error.js";
import { type CredentialEndpoint, profileEndpoints } from "./provider-profiles.js";

/** An attached provider as the store has it; undefined when it is gone. */
export interface AttachedProvider {
  readonly name: string;
  readonly provider: Provider | undefined;
}

/** A policy's `credential_binding`s: provider name -> the endpoints its credentials may go to. */
export interface PolicyCredentialBindings {
  readonly endpoints: ReadonlyMap<string, readonly CredentialEndpoint[]>;
  /** Provider name -> the first binding naming it, as a field path (what an error names). */
  readonly fields: ReadonlyMap<string, string>;
}

/**
 * Each `credential_binding` of `policy`, checked the way upstream's gateway checks them
 * (policy_static_credential_endpoint_bindings, openshell-server `grpc/policy.rs`): upstream answers
 * each problem INVALID_ARGUMENT with the message kept here after the field's path.
 *
 * @param at the policy's own field path in the request (`spec.policy`, `policy`), for the errors.
 * @throws InvalidArgumentError naming the field: a binding without a provider, a provider name with
 *   surrounding whitespace, a bound endpoint without a host or with a port outside 1..65535.
 */
export function policyCredentialBindings(
  policy: SandboxPolicy | undefined,
  at = "policy",
): PolicyCredentialBindings {
  const endpoints = new Map<string, CredentialEndpoint[]>();
  const fields = new Map<string, string>();
  for (const [key, rule] of Object.entries(policy?.networkPolicies ?? {})) {
    rule.endpoints.forEach((endpoint, i) => {
      const binding = endpoint.credentialBinding;
      if (binding === undefined) return;
      const field = `${at}.${ruleField(key)}.endpoints[${i}]`;
      const refuse = (name: string, message: string): never => {
        throw new InvalidArgumentError(`${field}.${name}: ${message}`, { field: `${field}.${name}` });
      };
      const provider = binding.provider.trim();
      if (provider === "") {
        refuse(
          "credential_binding.provider",
          `credential_binding.provider is required for endpoint '${endpoint.host}'`,
        );
      }
      if (provider !== binding.provider) {
        refuse(
          "credential_binding.provider",
          `credential_binding.provider '${binding.provider}' must not contain leading or trailing whitespace`,
        );
      }
      if (endpoint.host.trim() === "") {
        refuse("host", `credential-bound endpoint for provider '${provider}' must define a host`);
      }
      const ports = endpoint.ports.length > 0 ? endpoint.ports : [endpoint.port];
      if (ports.some((p) => p === 0 || p > 65535)) {
        refuse(
          endpoint.ports.length > 0 ? "ports" : "port",
          `credential-bound endpoint '${endpoint.host}' for provider '${provider}' must define ports in range 1..=65535`,
        );
      }
      const list = endpoints.get(provider) ?? [];
      for (const port of ports) {
        if (!list.some((e) => e.host === endpoint.host && e.port === port && e.path === endpoint.path)) {
          list.push({ host: endpoint.host, port, path: endpoint.path });
        }
      }
      endpoints.set(provider, list);
      if (!fields.has(provider)) fields.set(provider, `${field}.credential_binding.provider`);
    });
  }
  return { endpoints, fields };
}

/**
 * Upstream's checks of a policy's bindings against the providers attached to the sandbox
 * (validate_policy_credential_binding_context, openshell-server `grpc/policy.rs`), which it makes
 * at CreateSandbox, UpdateConfig and Attach/DetachSandboxProvider and answers FAILED_PRECONDITION.
 *
 * @throws FailedPreconditionError whose message starts with the binding's field path: a binding
 *   naming a provider that is not attached, one whose type has no provider profile, or one whose
 *   profile has endpoints of its own (those stay the credential's boundary).
 */
export function checkBindingsAgainstProviders(
  records: readonly AttachedProvider[],
  bindings: PolicyCredentialBindings,
): void {
  for (const name of bindings.endpoints.keys()) {
    const refuse = (message: string): never => {
      throw new FailedPreconditionError(`${bindings.fields.get(name) ?? "credential_binding"}: ${message}`);
    };
    const provider = records.find((r) => r.name === name)?.provider;
    if (provider === undefined) {
      refuse(
        `credential_binding references provider '${name}', but that provider is not attached to the sandbox`,
      );
      return;
    }
    const profile = profileEndpoints(provider.type);
    if (profile === undefined) refuse(`credential_binding provider '${name}' has no provider profile`);
    if (profile !== undefined && profile.length > 0) {
      refuse(
        `credential_binding provider '${name}' profile already defines endpoints; profile endpoints remain the credential boundary`,
      );
    }
  }
}

/**
 * Both checks, as a request that would give the sandbox `records` under `policy` makes them:
 * refused with upstream's code and message, the field named, before anything changes.
 */
export function checkPolicyCredentialBindings(
  records: readonly AttachedProvider[],
  policy: SandboxPolicy | undefined,
  at: string,
): void {
  const bindings = policyCredentialBindings(policy, at);
  if (bindings.endpoints.size > 0) checkBindingsAgainstProviders(records, bindings);
}
