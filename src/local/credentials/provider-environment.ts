import { createHash } from "node:crypto";
import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { type CompiledEndpoint, compileEndpoint } from "./binding-patterns.js";
import { checkCredentialKeysUnique } from "./credential-key-owners.js";
import { isValidEnvKey, placeholderFor, usesReservedNamespace } from "./placeholders.js";
import {
  type AttachedProvider,
  checkBindingsAgainstProviders,
  type PolicyCredentialBindings,
  policyCredentialBindings,
} from "./policy-credential-bindings.js";
import { isNonInjectableCredential, profileEndpoints } from "./provider-profiles.js";

export type { AttachedProvider } from "./policy-credential-bindings.js";

/** Where one credential key may be sent, and whose it is. */
export interface CredentialBinding {
  /** `<provider id>:<KEY>`, as upstream: a placeholder issued under another identity never resolves. */
  readonly identity: string;
  readonly endpoints: readonly CompiledEndpoint[];
}

/** A credential's real value; it never leaves the gateway. */
export interface CredentialSecret {
  readonly value: string;
  /** 0 when it does not expire. */
  readonly expiresAtMs: number;
}

/** One line for the sandbox's gateway log about what was withheld and why; never a value. */
export interface EnvironmentNote {
  readonly level: "INFO" | "WARN";
  readonly message: string;
}

/**
 * A sandbox's provider environment at one revision: what its processes see (placeholders), what
 * only the gateway holds (values), and where each may go. Upstream's GetSandboxProviderEnvironment
 * answer as the supervisor compiles it (openshell-core `provider_credentials.rs`).
 */
export interface ProviderEnvironment {
  /** Changes whenever an attached provider, its credentials or a policy credential_binding changes. */
  readonly revision: bigint;
  /** `KEY` -> `openshell:resolve:env:v<revision>_KEY`. */
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: ReadonlyMap<string, CredentialSecret>;
  readonly bindings: ReadonlyMap<string, CredentialBinding>;
  readonly notes: readonly EnvironmentNote[];
}

/** Thrown where upstream's gateway answers GetSandboxProviderEnvironment with an error. */
class EnvironmentError extends Error {}

/** A u64 from SHA-256 over everything the environment is made of, as upstream's provider_env_revision. */
function revisionOf(
  records: readonly AttachedProvider[],
  bindings: ReadonlyMap<string, readonly { host: string; port: number; path: string }[]>,
): bigint {
  const hash = createHash("sha256").update("openshell-local-provider-env-revision-v1");
  const field = (text: string) => hash.update(`${text.length}:${text};`);
  for (const { name, provider } of records) {
    field(name);
    if (provider === undefined) {
      field("missing");
      continue;
    }
    field(provider.metadata?.id ?? "");
    field(String(provider.metadata?.resourceVersion ?? 0n));
    field(provider.type);
    for (const key of Object.keys(provider.credentials).sort()) field(key);
    for (const [key, at] of Object.entries(provider.credentialExpiresAtMs).sort()) field(`${key}=${at}`);
  }
  for (const name of [...bindings.keys()].sort()) {
    field(name);
    for (const e of bindings.get(name) ?? []) field(`${e.host}|${e.port}|${e.path}`);
  }
  const revision = hash.digest().readBigUInt64LE(0);
  // Revision 0 is upstream's revision-less placeholder form; never issue it.
  return revision === 0n ? 1n : revision;
}

function empty(revision: bigint, notes: EnvironmentNote[]): ProviderEnvironment {
  return { revision, env: {}, secrets: new Map(), bindings: new Map(), notes };
}

/**
 * The provider environment of a sandbox with `records` attached (in its spec's order) under
 * `policy`, at `nowMs`. Never throws: what upstream answers with an error, or revokes, becomes an
 * empty environment with a WARN note saying why.
 */
export function providerEnvironment(
  records: readonly AttachedProvider[],
  policy: SandboxPolicy | undefined,
  nowMs: number,
): ProviderEnvironment {
  if (records.length === 0) return empty(0n, []);
  const notes: EnvironmentNote[] = [];
  let fromPolicy: PolicyCredentialBindings;
  try {
    fromPolicy = policyCredentialBindings(policy);
  } catch (error) {
    return empty(revisionOf(records, new Map()), [withheldAll((error as Error).message)]);
  }
  const revision = revisionOf(records, fromPolicy.endpoints);
  const secrets = new Map<string, CredentialSecret>();
  const bindings = new Map<string, CredentialBinding>();
  const unbound: string[] = [];
  try {
    checkBindingsAgainstProviders(records, fromPolicy);
    // Create, attach and provider updates refuse such providers already; records another gateway
    // process wrote may still hold them.
    checkCredentialKeysUnique(
      records.flatMap(({ name, provider }) => (provider === undefined ? [] : [{ name, provider }])),
      nowMs,
    );
    for (const { name, provider } of records) {
      if (provider === undefined) throw new EnvironmentError(`provider '${name}' not found`);
      const profile = profileEndpoints(provider.type);
      const policyEndpoints = fromPolicy.endpoints.get(name);
      const endpoints = policyEndpoints ?? profile;
      const skip = (key: string, why: string) =>
        notes.push({ level: "WARN", message: `provider "${name}": credential ${key} ${why}` });
      for (const [key, value] of Object.entries(provider.credentials)) {
        if (isNonInjectableCredential(provider.type, key)) {
          skip(key, "is refresh material and never enters a sandbox");
          continue;
        }
        if (!isValidEnvKey(key)) {
          skip(key, "is not a valid environment variable name; skipped");
          continue;
        }
        if (usesReservedNamespace(key)) {
          skip(key, "is shaped like a placeholder's own name (v<digits>_ or s<hex>_); skipped");
          continue;
        }
        if (endpoints !== undefined && endpoints.length === 0) {
          skip(
            key,
            `is withheld: the ${provider.type} profile names no endpoint; bind the provider to one with credential_binding in the sandbox policy`,
          );
          continue;
        }
        const expiresAtMs = Number(provider.credentialExpiresAtMs[key] ?? 0n);
        if (expiresAtMs > 0 && expiresAtMs <= nowMs) {
          skip(key, "has expired; skipped");
          continue;
        }
        secrets.set(key, { value, expiresAtMs });
        if (endpoints === undefined) {
          if (!unbound.includes(name)) unbound.push(name);
          continue;
        }
        const identity = `${provider.metadata?.id ?? name}:${key}`;
        bindings.set(key, { identity, endpoints: endpoints.map(compileEndpoint) });
      }
    }
  } catch (error) {
    return empty(revision, [...notes, withheldAll((error as Error).message)]);
  }
  if (unbound.length > 0) {
    // Upstream's supervisor refuses an environment with a key no binding classifies and revokes
    // every static credential of the sandbox (provider_credentials.rs); local mode does the same.
    const names = unbound.map((n) => `"${n}"`).join(", ");
    return empty(revision, [
      ...notes,
      withheldAll(
        `provider environment contains an unclassified credential key: provider ${names} has a type with no provider profile, so its credentials are bound to no endpoint (use it through inference routes, or detach it)`,
      ),
    ]);
  }
  const env: Record<string, string> = {};
  for (const key of secrets.keys()) env[key] = placeholderFor(key, revision);
  return { revision, env, secrets, bindings, notes };
}

function withheldAll(reason: string): EnvironmentNote {
  return {
    level: "WARN",
    message: `no provider credentials reach this sandbox's processes, as on the gateway: ${reason}`,
  };
}
