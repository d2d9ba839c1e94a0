import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { FailedPreconditionError } from "../../errors.js";
import type { Provider } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { SandboxPolicyRevisionSchema } from "../../gen/openshell/v1/openshell_pb.js";
import { storedProvider } from "../handlers/provider-handlers.js";
import type { SandboxView } from "../sandboxes/sandbox-directory.js";
import type { LocalStateStore } from "../state/state-store.js";
import { checkCredentialKeysUnique } from "./credential-key-owners.js";
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

/** The providers of `names` as stored (those that are not are left out: their absence is said elsewhere). */
function storedProviders(store: LocalStateStore, workspace: string, names: readonly string[]) {
  return names.flatMap((name) => {
    const provider = storedProvider(store, workspace, name);
    return provider === undefined ? [] : [{ name, provider }];
  });
}

/**
 * CreateSandbox's checks of its providers beyond their names, in upstream's order: no credential
 * key given by two of them (FAILED_PRECONDITION), then the policy's credential bindings.
 */
export function checkNewSandboxProviders(
  store: LocalStateStore,
  workspace: string,
  providers: readonly string[],
  policy: SandboxPolicy | undefined,
  nowMs: number,
): void {
  checkCredentialKeysUnique(storedProviders(store, workspace, providers), nowMs);
  checkSandboxCredentialBindings(store, workspace, providers, policy, "spec.policy");
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
 * Refuses, as upstream's Attach/DetachSandboxProvider do, a provider list the sandbox cannot have:
 * on attach, a credential key the new provider shares with another; on both, a binding of the
 * sandbox's current policy left naming a provider that is no longer attached.
 */
export function checkProviderChange(
  store: LocalStateStore,
  sandbox: SandboxView,
  providers: readonly string[],
  change: "attach" | "detach",
  nowMs: number,
): void {
  if (change === "attach")
    checkCredentialKeysUnique(storedProviders(store, sandbox.workspace, providers), nowMs);
  checkSandboxCredentialBindings(
    store,
    sandbox.workspace,
    providers,
    latestSandboxPolicy(store, sandbox),
    "policy",
  );
}

/**
 * Refuses, as upstream's UpdateProvider does, a change of `candidate` (the provider as it would be
 * stored) that would give a sandbox it is attached to one credential key from two providers.
 */
export function checkProviderUpdate(
  store: LocalStateStore,
  candidate: Provider,
  sandboxes: readonly SandboxView[],
  nowMs: number,
): void {
  const name = candidate.metadata?.name ?? "";
  for (const sandbox of sandboxes) {
    if (!sandbox.spec.providers.includes(name)) continue;
    const providers = storedProviders(store, sandbox.workspace, sandbox.spec.providers).map((p) =>
      p.name === name ? { name, provider: candidate } : p,
    );
    try {
      checkCredentialKeysUnique(providers, nowMs);
    } catch (error) {
      throw new FailedPreconditionError(
        `provider update would create credential env key conflict on sandbox '${sandbox.name}': ${(error as Error).message}`,
      );
    }
  }
}
