import { ModelAccessError } from "../errors.js";
import type { CredentialSpec, ModelProviderProfile } from "./model-providers.js";
import { secretRecord } from "./secret-record.js";

/** The field a person edits to name the variables that hold a deployment's model credentials. */
export const CREDENTIAL_ENV_FIELD = "deployment.spec.runtimeConfig.credentialEnv";

/** The adapter's environment (`process.env`): names to values, some unset. */
export type ProcessEnv = Readonly<Record<string, string | undefined>>;

/** What to say in messages about where the credentials are looked for. */
export interface CredentialContext {
  /** The registry's provider name (`anthropic`). */
  provider: string;
  /** A Model's `auth.secretRef` name, which the adapter cannot read, for the message. */
  secretRef?: string;
}

const isSet = (env: ProcessEnv, name: string) => (env[name] ?? "") !== "";

const list = (names: readonly string[], joiner: "or" | "and") =>
  names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} ${joiner} ${names.at(-1)}`;

function describe(profile: ModelProviderProfile, context: CredentialContext): string {
  return `model provider "${context.provider}" (OpenShell provider type "${profile.type}")`;
}

function secretRefNote(context: CredentialContext, variables: string): string {
  return context.secretRef === undefined
    ? ""
    : ` The Model's auth.secretRef "${context.secretRef}" is a registry Secret, which the adapter cannot read: put its value in ${variables}.`;
}

/**
 * Reads the credentials from the variables `credentialEnv` names. A name that is one of the
 * provider's credential keys (or one of their usual variables) fills that key; the other names
 * fill the remaining keys in order (`["PROD_ANTHROPIC_KEY"]` -> `ANTHROPIC_API_KEY`), and names
 * beyond the provider's keys are kept under their own names.
 */
function fromCredentialEnv(
  names: readonly string[],
  profile: ModelProviderProfile,
  env: ProcessEnv,
  context: CredentialContext,
): Record<string, string> {
  const unset = names.filter((name) => !isSet(env, name));
  if (unset.length > 0) {
    throw new ModelAccessError(
      "MissingModelCredentials",
      `${describe(profile, context)}: ${CREDENTIAL_ENV_FIELD} names ${list(unset, "and")}, which ${unset.length === 1 ? "is" : "are"} ` +
        `not set (or empty) in the adapter's environment. Set ${unset.length === 1 ? "it" : "them"} in the environment ` +
        `of the process that runs the adapter, or change ${CREDENTIAL_ENV_FIELD}.${secretRefNote(context, list(unset, "and"))}`,
      { field: CREDENTIAL_ENV_FIELD },
    );
  }
  const claims = (spec: CredentialSpec, name: string) => spec.key === name || spec.env.includes(name);
  const keyOf = new Map<string, string>();
  const open = profile.credentials.filter((spec) => {
    const named = names.find((name) => claims(spec, name) && !keyOf.has(name));
    if (named !== undefined) keyOf.set(named, spec.key);
    return named === undefined;
  });
  for (const name of names) {
    if (keyOf.has(name)) continue;
    keyOf.set(name, open.shift()?.key ?? name);
  }
  const missing = open.filter((spec) => spec.required).map((spec) => spec.key);
  if (missing.length > 0) {
    const required = profile.credentials.filter((spec) => spec.required).map((spec) => spec.key);
    throw new ModelAccessError(
      "MissingModelCredentials",
      `${describe(profile, context)} needs ${list(required, "and")}, but ${CREDENTIAL_ENV_FIELD} names no variable ` +
        `for ${list(missing, "and")}. List the variables that hold ${list(required, "and")}, in that order.`,
      { field: CREDENTIAL_ENV_FIELD },
    );
  }
  return Object.fromEntries(names.map((name) => [keyOf.get(name) as string, env[name] as string]));
}

/** Reads each credential from the first of its usual variables that is set. */
function fromDefaults(
  profile: ModelProviderProfile,
  env: ProcessEnv,
  context: CredentialContext,
): Record<string, string> {
  const credentials: Record<string, string> = {};
  const missing: CredentialSpec[] = [];
  for (const spec of profile.credentials) {
    const name = spec.env.find((candidate) => isSet(env, candidate));
    if (name !== undefined) credentials[spec.key] = env[name] as string;
    else if (spec.required) missing.push(spec);
  }
  if (missing.length > 0) {
    const lookedFor = missing.map((spec) =>
      spec.env.length === 1 ? `${spec.key} is not set` : `none of ${list(spec.env, "or")} is set`,
    );
    const variables = list(
      missing.map((spec) => list(spec.env, "or")),
      "and",
    );
    throw new ModelAccessError(
      "MissingModelCredentials",
      `${describe(profile, context)} needs credentials, but in the adapter's environment ${list(lookedFor, "and")}. ` +
        `Set ${variables} in the environment of the process that runs the adapter, or name the variables that ` +
        `hold them in ${CREDENTIAL_ENV_FIELD}.${secretRefNote(context, variables)}`,
      { field: CREDENTIAL_ENV_FIELD },
    );
  }
  return credentials;
}

/**
 * The provider's credentials, read from the adapter's environment: from the variables
 * `credentialEnv` names when it is given, else from each credential's usual variables. The result
 * prints redacted ({@link secretRecord}).
 *
 * @throws ModelAccessError `MissingModelCredentials` naming the variables looked for and the field
 *   to change; never a value.
 */
export function resolveCredentials(
  profile: ModelProviderProfile,
  credentialEnv: readonly string[] | undefined,
  env: ProcessEnv,
  context: CredentialContext,
): Record<string, string> {
  const credentials =
    credentialEnv !== undefined && credentialEnv.length > 0
      ? fromCredentialEnv([...new Set(credentialEnv)], profile, env, context)
      : fromDefaults(profile, env, context);
  return secretRecord(credentials);
}
