import { createHash } from "node:crypto";
import type { Provider } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { type CompiledEndpoint, compileEndpoint } from "./binding-patterns.js";
import { isValidEnvKey, placeholderFor, usesReservedNamespace } from "./placeholders.js";
import { type CredentialEndpoint, isNonInjectableCredential, profileEndpoints } from "./provider-profiles.js";

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

/** An attached provider as the store has it; undefined when it is gone. */
export interface AttachedProvider {
  readonly name: string;
  readonly provider: Provider | undefined;
}

/** Thrown where upstream's gateway answers GetSandboxProviderEnvironment with an error. */
class EnvironmentError extends Error {}

/** Each credential_binding of the policy: provider name -> endpoints (upstream's policy_static_credential_endpoint_bindings). */
function policyBindings(policy: SandboxPolicy | undefined): Map<string, CredentialEndpoint[]> {
  const bindings = new Map<string, CredentialEndpoint[]>();
  for (const rule of Object.values(policy?.networkPolicies ?? {})) {
    for (const endpoint of rule.endpoints) {
      const binding = endpoint.credentialBinding;
      if (binding === undefined) continue;
      const provider = binding.provider.trim();
      if (provider === "") {
        throw new EnvironmentError(`credential_binding.provider is required for endpoint '${endpoint.host}'`);
      }
      if (provider !== binding.provider) {
        throw new EnvironmentError(
          `credential_binding.provider '${binding.provider}' must not contain leading or trailing whitespace`,
        );
      }
      if (endpoint.host.trim() === "") {
        throw new EnvironmentError(`credential-bound endpoint for provider '${provider}' must define a host`);
      }
      const ports = endpoint.ports.length > 0 ? endpoint.ports : [endpoint.port];
      if (ports.some((p) => p === 0 || p > 65535)) {
        throw new EnvironmentError(
          `credential-bound endpoint '${endpoint.host}' for provider '${provider}' must define ports in range 1..=65535`,
        );
      }
      const list = bindings.get(provider) ?? [];
      for (const port of ports) {
        if (!list.some((e) => e.host === endpoint.host && e.port === port && e.path === endpoint.path)) {
          list.push({ host: endpoint.host, port, path: endpoint.path });
        }
      }
      bindings.set(provider, list);
    }
  }
  return bindings;
}

/** Upstream's checks of policy bindings against the attached providers (validate_policy_credential_binding_context). */
function checkPolicyBindings(
  records: readonly AttachedProvider[],
  bindings: Map<string, CredentialEndpoint[]>,
): void {
  for (const name of bindings.keys()) {
    const record = records.find((r) => r.name === name && r.provider !== undefined);
    if (record?.provider === undefined) {
      throw new EnvironmentError(
        `credential_binding references provider '${name}', but that provider is not attached to the sandbox`,
      );
    }
    const profile = profileEndpoints(record.provider.type);
    if (profile === undefined)
      throw new EnvironmentError(`credential_binding provider '${name}' has no provider profile`);
    if (profile.length > 0) {
      throw new EnvironmentError(
        `credential_binding provider '${name}' profile already defines endpoints; profile endpoints remain the credential boundary`,
      );
    }
  }
}

/** A u64 from SHA-256 over everything the environment is made of, as upstream's provider_env_revision. */
function revisionOf(
  records: readonly AttachedProvider[],
  bindings: Map<string, CredentialEndpoint[]>,
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
  let fromPolicy: Map<string, CredentialEndpoint[]>;
  try {
    fromPolicy = policyBindings(policy);
  } catch (error) {
    return empty(revisionOf(records, new Map()), [withheldAll((error as Error).message)]);
  }
  const revision = revisionOf(records, fromPolicy);
  const secrets = new Map<string, CredentialSecret>();
  const bindings = new Map<string, CredentialBinding>();
  const owners = new Map<string, string>();
  const unbound: string[] = [];
  try {
    checkPolicyBindings(records, fromPolicy);
    for (const { name, provider } of records) {
      if (provider === undefined) throw new EnvironmentError(`provider '${name}' not found`);
      const profile = profileEndpoints(provider.type);
      const policyEndpoints = fromPolicy.get(name);
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
        const owner = owners.get(key);
        if (owner !== undefined && owner !== name) {
          throw new EnvironmentError(
            `credential env key '${key}' is provided by both provider '${owner}' and provider '${name}'; use provider-specific env names`,
          );
        }
        owners.set(key, name);
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
