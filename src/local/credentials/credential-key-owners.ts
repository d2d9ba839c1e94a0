import { FailedPreconditionError } from "../../errors.js";
import type { Provider } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import { isValidEnvKey } from "./placeholders.js";
import { isNonInjectableCredential } from "./provider-profiles.js";

/**
 * The credential keys a provider puts in a sandbox's environment at `nowMs`, as upstream counts
 * them when it checks that no two providers of a sandbox give the same one
 * (active_provider_credential_keys, openshell-server `grpc/provider.rs`): valid variable names,
 * not refresh material, not expired.
 */
export function activeCredentialKeys(provider: Provider, nowMs: number): string[] {
  return Object.keys(provider.credentials).filter((key) => {
    if (isNonInjectableCredential(provider.type, key) || !isValidEnvKey(key)) return false;
    const expiresAtMs = Number(provider.credentialExpiresAtMs[key] ?? 0n);
    return expiresAtMs <= 0 || expiresAtMs > nowMs;
  });
}

/**
 * Refuses providers (a sandbox's, in its spec's order) two of which give the same credential key,
 * with upstream's FAILED_PRECONDITION and words (validate_provider_environment_key_ownership):
 * upstream checks this at CreateSandbox and AttachSandboxProvider.
 */
export function checkCredentialKeysUnique(
  providers: readonly { readonly name: string; readonly provider: Provider }[],
  nowMs: number,
): void {
  const owners = new Map<string, string>();
  for (const { name, provider } of providers) {
    for (const key of activeCredentialKeys(provider, nowMs)) {
      const first = owners.get(key);
      if (first !== undefined && first !== name) {
        throw new FailedPreconditionError(
          `credential env key '${key}' is provided by both provider '${first}' and provider '${name}'; use provider-specific env names`,
        );
      }
      owners.set(key, name);
    }
  }
}
