import type { ProviderType } from "openshell";

/** One credential an OpenShell provider holds, and where the adapter's environment has it by default. */
export interface CredentialSpec {
  /** The credential's key in the provider (`ANTHROPIC_API_KEY`). */
  key: string;
  /** Environment variables of the adapter's process that hold it, most preferred first. */
  env: readonly string[];
  /** Whether the provider is unusable without it. */
  required: boolean;
}

/** How the adapter reaches one model provider through OpenShell. */
export interface ModelProviderProfile {
  /** The OpenShell provider type the credentials go into. */
  type: ProviderType;
  /** The credentials, in the order `runtimeConfig.credentialEnv` names them. */
  credentials: readonly CredentialSpec[];
  /**
   * The API host the agent calls (port 443), from the region for Bedrock; undefined when only an
   * endpoint's base URL can say.
   */
  host?: (region: string | undefined) => string | undefined;
  /** The provider config key (and sandbox variable) that overrides the API root, for SDKs that read one. */
  baseUrlKey?: string;
  /** Provider types whose inference route serves this provider's API on `inference.local`. */
  inferenceTypes?: readonly string[];
  /** The base URL an SDK for this API takes to reach it through `inference.local`. */
  inferenceBaseUrl?: string;
  /** Whether the provider needs a region (Bedrock) when no base URL is given. */
  needsRegion?: boolean;
}

const apiKey = (key: string, ...alternatives: string[]): CredentialSpec[] => [
  { key, env: [key, ...alternatives], required: true },
];

const fixedHost = (host: string) => () => host;

/**
 * The model providers the adapter knows, by the registry's lower-case name (an Agent's
 * `spec.modelProvider`, a Model's `spec.provider`).
 *
 * From the OpenShell proof of concept: `anthropic` -> `claude` (ANTHROPIC_API_KEY or
 * CLAUDE_API_KEY, kept as ANTHROPIC_API_KEY, the name both the `claude` profile and
 * `inference.local` read), `openai` -> `openai`, `nvidia` -> `nvidia`, `google`, `gemini`,
 * `mistral` and `cohere` -> `generic`, egress to the model host on 443. `bedrock` (the only
 * provider the registry's Model schema allows today) -> `aws-bedrock`, the gateway's Bedrock type,
 * with the AWS key pair (and session token) and the region's `bedrock-runtime` host.
 */
export const MODEL_PROVIDERS: Readonly<Record<string, ModelProviderProfile>> = {
  anthropic: {
    type: "claude",
    credentials: apiKey("ANTHROPIC_API_KEY", "CLAUDE_API_KEY"),
    host: fixedHost("api.anthropic.com"),
    baseUrlKey: "ANTHROPIC_BASE_URL",
    // Not claude-code: upstream may route it, but local mode answers such a route 503, so only the
    // type both forward is taken for inference.local.
    inferenceTypes: ["anthropic"],
    // Anthropic's SDKs add /v1/messages themselves.
    inferenceBaseUrl: "https://inference.local",
  },
  openai: {
    type: "openai",
    credentials: apiKey("OPENAI_API_KEY"),
    host: fixedHost("api.openai.com"),
    baseUrlKey: "OPENAI_BASE_URL",
    inferenceTypes: ["openai"],
    inferenceBaseUrl: "https://inference.local/v1",
  },
  nvidia: {
    type: "nvidia",
    credentials: apiKey("NVIDIA_API_KEY"),
    host: fixedHost("integrate.api.nvidia.com"),
    baseUrlKey: "NVIDIA_BASE_URL",
    inferenceTypes: ["nvidia"],
    inferenceBaseUrl: "https://inference.local/v1",
  },
  google: {
    type: "generic",
    credentials: apiKey("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    host: fixedHost("generativelanguage.googleapis.com"),
  },
  gemini: {
    type: "generic",
    credentials: apiKey("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    host: fixedHost("generativelanguage.googleapis.com"),
  },
  mistral: {
    type: "generic",
    credentials: apiKey("MISTRAL_API_KEY"),
    host: fixedHost("api.mistral.ai"),
  },
  cohere: {
    type: "generic",
    credentials: apiKey("COHERE_API_KEY", "CO_API_KEY"),
    host: fixedHost("api.cohere.com"),
  },
  bedrock: {
    type: "aws-bedrock",
    credentials: [
      { key: "AWS_ACCESS_KEY_ID", env: ["AWS_ACCESS_KEY_ID"], required: true },
      { key: "AWS_SECRET_ACCESS_KEY", env: ["AWS_SECRET_ACCESS_KEY"], required: true },
      { key: "AWS_SESSION_TOKEN", env: ["AWS_SESSION_TOKEN"], required: false },
    ],
    host: (region) => (region === undefined ? undefined : `bedrock-runtime.${region}.amazonaws.com`),
    baseUrlKey: "BEDROCK_BASE_URL",
    needsRegion: true,
  },
};

/**
 * The profile of a provider the adapter does not know: OpenShell's `generic` type, reachable only
 * where an endpoint's base URL says, with its key in `<NAME>_API_KEY` (`ollama` -> `OLLAMA_API_KEY`).
 */
export function genericProfile(provider: string): ModelProviderProfile {
  const stem = provider
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  // An environment variable name cannot start with a digit.
  const name = stem === "" ? "MODEL" : /^[0-9]/.test(stem) ? `MODEL_${stem}` : stem;
  return { type: "generic", credentials: apiKey(`${name}_API_KEY`) };
}

/** The registry's provider name as the table keys it: trimmed, lower case (kagent writes `Anthropic`). */
export function normalizeProvider(provider: string): string {
  return provider.trim().toLowerCase();
}
