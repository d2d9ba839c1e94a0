import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { SandboxPolicyRevisionSchema } from "../../gen/openshell/v1/openshell_pb.js";
import { storedProvider } from "../handlers/provider-handlers.js";
import type { SandboxView } from "../sandboxes/sandbox-directory.js";
import type { LocalStateStore } from "../state/state-store.js";
import { checkBindingsAgainstProviders, policyCredentialBindings } from "./policy-credential-bindings.js";

/**
 * Refuses, as upstream's gateway does, a sandbox that would have `providers` (names, in its
 * workspace) under `policy` with a `credential_binding` upstream refuses: INVALID_ARGUMENT for a
 * malformed binding, FAILED_PRECONDITION for one naming a provider that is not attached, has no
 * profile, or has a profile with endpoints. Reads the providers only when the policy binds any.
 *
 * @param at the policy's field path in the request (`spec.policy`, `policy`), which errors name.
 */
export function checkSandboxCredentialBindings(
  store: LocalStateStore,
  workspace: string,
  providers: readonly string[],
  policy: SandboxPolicy | undefined,
  at: string,
): void {
  const bindings = policyCredentialBindings(policy, at);
  if (bindings.endpoints.size === 0) return;
  const records = providers.map((name) => ({ name, provider: storedProvider(store, workspace, name) }));
  checkBindingsAgainstProviders(records, bindings);
}

/**
 * The policy attaching or detaching a provider is checked against, as upstream's
 * current_base_policy_for_sandbox: the sandbox's newest revision whatever its status, else the
 * policy it was created with.
 */
export function latestSandboxPolicy(store: LocalStateStore, sandbox: SandboxView): SandboxPolicy | undefined {
  const [latest] = store.listPolicyRevisions<JsonValue>(sandbox.id, 1, 0);
  if (latest === undefined) return sandbox.spec.policy;
  return fromJson(SandboxPolicyRevisionSchema, latest.record).policy;
}

/**
 * Refuses, as upstream's Attach/DetachSandboxProvider do, a provider list the sandbox's current
 * policy cannot keep: a binding left naming a provider that is no longer attached, or a new
 * provider a binding names whose type cannot be bound.
 */
export function checkProviderChange(
  store: LocalStateStore,
  sandbox: SandboxView,
  providers: readonly string[],
): void {
  checkSandboxCredentialBindings(
    store,
    sandbox.workspace,
    providers,
    latestSandboxPolicy(store, sandbox),
    "policy",
  );
}
