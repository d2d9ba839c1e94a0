import { FailedPreconditionError } from "../../errors.js";

/**
 * What the forwarder needs of a stored provider. The Provider message fits as it is; its credential
 * values are the real ones here (the store keeps them, only RPC answers redact them).
 */
export interface StoredProvider {
  type: string;
  credentials: Record<string, string>;
  config: Record<string, string>;
}

/** How to call a provider's API on a sandbox's behalf. */
export interface ProviderEndpoint {
  /** The API root, e.g. `https://api.openai.com/v1`: no trailing slash, query, fragment or user info. */
  baseUrl: URL;
  /** Headers carrying the credential (lower-case names); they replace whatever the sandbox sent. */
  headers: Record<string, string>;
  /**
   * Headers the API expects on every call (lower-case names), sent unless the sandbox sent its own:
   * a client pinned to a newer `anthropic-version` keeps it.
   */
  defaultHeaders: Record<string, string>;
}

/** Why a provider cannot serve `inference.local`. */
export type InferenceEndpointProblem = "unsupported-type" | "missing-credential" | "invalid-base-url";

/**
 * A provider the gateway cannot forward `inference.local` to, and what to change. The message names
 * credential and config keys, never their values.
 */
export class InferenceEndpointError extends FailedPreconditionError {
  readonly problem: InferenceEndpointProblem;

  constructor(problem: InferenceEndpointProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

interface InferenceProfile {
  defaultBaseUrl: string;
  /** Credential keys holding the API key, most preferred first. */
  keyNames: readonly string[];
  /** Config keys (then credential keys) that override the base URL, most preferred first. */
  baseUrlKeys: readonly string[];
  auth: "bearer" | "x-api-key";
  defaultHeaders: Readonly<Record<string, string>>;
}

/**
 * The provider types an `inference.local` route can name, with upstream's key names and endpoints
 * (openshell-core's inference profiles). Types that are not here cannot be routed.
 */
const profiles: Readonly<Record<string, InferenceProfile>> = {
  openai: {
    defaultBaseUrl: "https://api.openai.com/v1",
    keyNames: ["OPENAI_API_KEY"],
    baseUrlKeys: ["OPENAI_BASE_URL"],
    auth: "bearer",
    defaultHeaders: {},
  },
  anthropic: {
    defaultBaseUrl: "https://api.anthropic.com/v1",
    keyNames: ["ANTHROPIC_API_KEY"],
    baseUrlKeys: ["ANTHROPIC_BASE_URL"],
    auth: "x-api-key",
    defaultHeaders: { "anthropic-version": "2023-06-01" },
  },
  nvidia: {
    defaultBaseUrl: "https://integrate.api.nvidia.com/v1",
    keyNames: ["NVIDIA_API_KEY"],
    baseUrlKeys: ["NVIDIA_BASE_URL"],
    auth: "bearer",
    defaultHeaders: {},
  },
  deepinfra: {
    defaultBaseUrl: "https://api.deepinfra.com/v1/openai",
    // DeepInfra's own examples call the key DEEPINFRA_TOKEN; most tools say DEEPINFRA_API_KEY.
    keyNames: ["DEEPINFRA_API_KEY", "DEEPINFRA_TOKEN"],
    baseUrlKeys: ["DEEPINFRA_BASE_URL"],
    auth: "bearer",
    defaultHeaders: {},
  },
};

/** Inference types this gateway knows but cannot forward to, and why. */
const unroutable: Readonly<Record<string, string>> = {
  "aws-bedrock": "Bedrock requests must be signed per request (AWS SigV4)",
  "google-vertex-ai": "Vertex AI needs OAuth tokens minted from a service account and model-specific URLs",
};

const routableTypes = Object.keys(profiles).join(", ");

/** The first non-empty value among `keys` in `map`. */
function firstValue(map: Record<string, string>, keys: readonly string[]): [string, string] | undefined {
  for (const key of keys) {
    const value = map[key]?.trim();
    if (value) return [key, value];
  }
  return undefined;
}

/**
 * The API key: the profile's key names first, then (as upstream does) any other non-empty credential
 * in key order, so a provider created with a differently named key still works. A base URL kept among
 * the credentials is never taken for the key.
 */
function apiKeyOf(provider: StoredProvider, profile: InferenceProfile): string | undefined {
  const preferred = firstValue(provider.credentials, profile.keyNames);
  if (preferred) return preferred[1];
  const others = Object.keys(provider.credentials)
    .filter((key) => !profile.baseUrlKeys.includes(key))
    .sort();
  return firstValue(provider.credentials, others)?.[1];
}

function baseUrlOf(provider: StoredProvider, profile: InferenceProfile, type: string): URL {
  // Upstream reads base URLs from config; SEMANTICS lists OPENAI_BASE_URL beside the key, so a
  // provider created from the environment may carry it among its credentials: accept both.
  const found =
    firstValue(provider.config, profile.baseUrlKeys) ?? firstValue(provider.credentials, profile.baseUrlKeys);
  if (!found) return new URL(profile.defaultBaseUrl);
  const [key] = found;
  const invalid = (why: string) =>
    new InferenceEndpointError("invalid-base-url", `${key} of this ${type} provider ${why}`);
  // The value is never quoted back: a mistyped one may well be a pasted key.
  let url: URL;
  try {
    url = new URL(found[1]);
  } catch {
    throw invalid("is not a URL; set it to the API root, e.g. https://host/v1");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(`has scheme "${url.protocol}"; inference.local forwards only to http:// or https:// URLs`);
  }
  if (url.username !== "" || url.password !== "") {
    throw invalid(
      `carries a user name or password; put the API key in the credential ${profile.keyNames[0]}`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw invalid("has a query or fragment; set it to the API root alone, e.g. https://host/v1");
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

/**
 * How to call `provider` for `inference.local`: its API root and the headers that carry its key.
 * Throws {@link InferenceEndpointError} when the type cannot be routed in local mode (request-signing
 * and non-inference types), the key is missing, or the base URL is not a plain http(s) URL.
 */
export function providerEndpoint(provider: StoredProvider): ProviderEndpoint {
  const type = provider.type;
  const profile = Object.hasOwn(profiles, type) ? profiles[type] : undefined;
  if (!profile) {
    const why =
      (Object.hasOwn(unroutable, type) && unroutable[type]) || "it is not an inference provider type";
    throw new InferenceEndpointError(
      "unsupported-type",
      `provider type "${type}" cannot be used for inference.local in local mode: ${why}; route to a provider of type ${routableTypes}`,
    );
  }
  const key = apiKeyOf(provider, profile);
  if (key === undefined) {
    throw new InferenceEndpointError(
      "missing-credential",
      `this ${type} provider has no API key; set the credential ${profile.keyNames[0]} (providers.update)`,
    );
  }
  const headers: Record<string, string> =
    profile.auth === "bearer" ? { authorization: `Bearer ${key}` } : { "x-api-key": key };
  return {
    baseUrl: baseUrlOf(provider, profile, type),
    headers,
    defaultHeaders: { ...profile.defaultHeaders },
  };
}
