import {
  AlreadyExistsError,
  CanceledError,
  NotFoundError,
  type OpenShell,
  type ProviderInfo,
  type RequestOptions,
} from "openshell";
import { CREDENTIAL_DIGEST_KEY, credentialDigest, digestMatches } from "./credential-digest.js";
import type { ModelAccessPlan, ModelProviderPlan } from "./plan-model-access.js";

/** What {@link ensureModelProvider} and {@link removeModelProvider} need of a client. */
export type ProviderClient = Pick<OpenShell, "providers">;

/** Options of {@link ensureModelProvider} and {@link removeModelProvider}. */
export interface ModelProviderOptions {
  /** Cancels the calls; they then reject with `CanceledError`. */
  signal?: AbortSignal;
  /** The workspace of the provider; defaults to the client's. */
  workspace?: string;
}

/** What {@link ensureModelProvider} did. */
export interface EnsuredModelProvider {
  /** The provider as the gateway has it now (credential keys only, never values). */
  provider: ProviderInfo;
  /**
   * `created`; `updated` (credentials or config changed); `replaced` (the type changed, which a
   * provider cannot: deleted and created again); `unchanged`.
   */
  action: "created" | "updated" | "replaced" | "unchanged";
}

/** Type aliases the gateway stores under their canonical name (SEMANTICS §6): `claude` reads back as `claude-code`. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  claude: "claude-code",
  claude_code: "claude-code",
  gh: "github",
  glab: "gitlab",
  gcp: "google-cloud",
};

function sameType(a: string, b: string): boolean {
  const canonical = (type: string) => (Object.hasOwn(TYPE_ALIASES, type) ? TYPE_ALIASES[type] : type);
  return canonical(a) === canonical(b);
}

function requestOptions(options: ModelProviderOptions): RequestOptions & { workspace?: string } {
  return {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
  };
}

function checkSignal(signal: AbortSignal | undefined, name: string): void {
  if (signal?.aborted) throw new CanceledError(`ensuring model provider "${name}": canceled`);
}

async function create(
  client: ProviderClient,
  plan: ModelProviderPlan,
  options: ModelProviderOptions,
): Promise<ProviderInfo | undefined> {
  const digest = await credentialDigest(plan.credentials);
  checkSignal(options.signal, plan.name);
  try {
    return await client.providers.create(
      {
        name: plan.name,
        type: plan.type,
        credentials: { ...plan.credentials },
        config: { ...plan.config, [CREDENTIAL_DIGEST_KEY]: digest },
        ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
      },
      requestOptions(options),
    );
  } catch (error) {
    // Another apply of the same deployment made it meanwhile: reconcile with what it made.
    if (error instanceof AlreadyExistsError) return undefined;
    throw error;
  }
}

/** The merge-update that turns `current` into what `plan` asks for; undefined when nothing differs. */
async function changesFor(
  current: ProviderInfo,
  plan: ModelProviderPlan,
): Promise<{ credentials?: Record<string, string>; config: Record<string, string> } | undefined> {
  const wantedKeys = Object.keys(plan.credentials).sort();
  const sameCredentials =
    wantedKeys.join("\n") === current.credentialKeys.join("\n") &&
    (await digestMatches(current.config[CREDENTIAL_DIGEST_KEY], plan.credentials));
  const wantedConfig: Record<string, string> = {
    ...plan.config,
    [CREDENTIAL_DIGEST_KEY]: sameCredentials
      ? (current.config[CREDENTIAL_DIGEST_KEY] as string)
      : await credentialDigest(plan.credentials),
  };
  // Update merges: an empty value deletes a key, so keys no longer wanted are sent as "".
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(wantedConfig))
    if (current.config[key] !== value) config[key] = value;
  for (const key of Object.keys(current.config)) if (!(key in wantedConfig)) config[key] = "";
  if (sameCredentials && Object.keys(config).length === 0) return undefined;
  if (sameCredentials) return { config };
  const credentials: Record<string, string> = { ...plan.credentials };
  for (const key of current.credentialKeys) if (!(key in credentials)) credentials[key] = "";
  return { credentials, config };
}

/**
 * Makes the gateway's provider for a deployment's model what the plan says: creates it when
 * missing, updates its credentials when they changed (told by a salted scrypt digest kept in its
 * config under {@link CREDENTIAL_DIGEST_KEY}, since the gateway never returns credential values)
 * and its config when it differs, and replaces it when its type differs. Idempotent: a second call
 * with the same plan makes no change. Resolves undefined for a plan through `inference.local`,
 * which needs no provider of its own. Credentials are never logged, and no error quotes them.
 *
 * Canceled through `signal`, it rejects with `CanceledError`; a cancel that lands while the gateway
 * is creating the provider may leave it created, which {@link removeModelProvider} (by the same
 * deterministic name) removes.
 *
 * @throws FailedPreconditionError when the type changed and a sandbox still has the provider attached.
 */
export async function ensureModelProvider(
  client: ProviderClient,
  plan: ModelAccessPlan,
  options: ModelProviderOptions = {},
): Promise<EnsuredModelProvider | undefined> {
  if (plan.viaInference) return undefined;
  const wanted = plan.provider;
  const request = requestOptions(options);
  let current: ProviderInfo | undefined;
  try {
    current = await client.providers.get(wanted.name, request);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const created = await create(client, wanted, options);
    if (created !== undefined) return { provider: created, action: "created" };
    current = await client.providers.get(wanted.name, request);
  }
  if (!sameType(current.type, wanted.type)) {
    await client.providers.delete(wanted.name, request);
    const created = await create(client, wanted, options);
    return { provider: created ?? (await client.providers.get(wanted.name, request)), action: "replaced" };
  }
  const changes = await changesFor(current, wanted);
  checkSignal(options.signal, wanted.name);
  if (changes === undefined) return { provider: current, action: "unchanged" };
  const provider = await client.providers.update(
    wanted.name,
    { ...changes, ...(options.workspace === undefined ? {} : { workspace: options.workspace }) },
    request,
  );
  return { provider, action: "updated" };
}

/**
 * Deletes the provider made for a deployment's model (`modelProviderNameFor(deployment)`).
 * Idempotent: resolves `false` when there was none. Delete the deployment's sandbox first: the
 * gateway refuses (FailedPreconditionError) while a sandbox has the provider attached.
 */
export async function removeModelProvider(
  client: ProviderClient,
  name: string,
  options: ModelProviderOptions = {},
): Promise<boolean> {
  try {
    return await client.providers.delete(name, requestOptions(options));
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}
