/**
 * The endpoints of upstream's built-in provider profiles: where each provider type's credentials may
 * be sent. Transcribed by hand from upstream's `providers/*.yaml` (NVIDIA/OpenShell at commit
 * 2f7fb65591ee5746217ace154afc0aa6bf1afc6d, the `endpoints` list of each file: `host`, `port`,
 * `path`; no built-in profile uses `ports`). Upstream binds every credential key of a provider to
 * all of its profile's endpoints, whatever key names the profile declares (openshell-server
 * `grpc/provider.rs`, resolve_provider_environment_from_records_with_policy_bindings_and_credentials),
 * so only the endpoints are kept here.
 */

/** One place a credential may go: host pattern (labels, `*` within one, `**` for any number), port, path glob. */
export interface CredentialEndpoint {
  readonly host: string;
  readonly port: number;
  /** "" (any path), `/**`, `/prefix/**` or a glob; as upstream's EndpointPathPattern. */
  readonly path: string;
}

const https = (host: string, path = ""): CredentialEndpoint => ({ host, port: 443, path });

/**
 * Built-in profiles by provider type. An empty list is an endpointless profile (aws, aws-bedrock,
 * google-cloud): its credentials are withheld unless the sandbox policy binds the provider to an
 * endpoint with `credential_binding`. A type absent here has no profile at all (openai, anthropic,
 * gitlab, opencode, outlook, generic).
 */
const BUILTIN_PROFILE_ENDPOINTS: Readonly<Record<string, readonly CredentialEndpoint[]>> = {
  // providers/aws.yaml: no `endpoints` key.
  aws: [],
  // providers/aws-bedrock.yaml: `endpoints: []` (bridge-fronted; "intentionally non-egress-granting").
  "aws-bedrock": [],
  // providers/aws-s3.yaml.
  "aws-s3": [
    https("*.s3.amazonaws.com"),
    https("s3.amazonaws.com"),
    https("*.s3.*.amazonaws.com"),
    https("s3.*.amazonaws.com"),
    https("*.s3.dualstack.*.amazonaws.com"),
    https("s3.dualstack.*.amazonaws.com"),
  ],
  // providers/claude-code.yaml.
  "claude-code": [https("api.anthropic.com"), https("statsig.anthropic.com"), https("sentry.io")],
  // providers/codex.yaml.
  codex: [https("api.openai.com"), https("auth.openai.com"), https("chatgpt.com"), https("ab.chatgpt.com")],
  // providers/copilot.yaml (the last two carry `allow_uninspected_credentials: true` upstream).
  copilot: [
    https("api.githubcopilot.com"),
    https("api.individual.githubcopilot.com"),
    https("api.business.githubcopilot.com"),
    https("api.enterprise.githubcopilot.com"),
    https("copilot-proxy.githubusercontent.com"),
    https("telemetry.enterprise.githubcopilot.com"),
    https("default.exp-tas.com"),
  ],
  // providers/cursor.yaml (declares no credentials; any a provider of the type holds go here).
  cursor: [
    https("cursor.blob.core.windows.net"),
    https("api2.cursor.sh"),
    https("repo.cursor.sh"),
    https("download.cursor.sh"),
    https("cursor.download.prss.microsoft.com"),
  ],
  // providers/deepinfra.yaml.
  deepinfra: [https("api.deepinfra.com")],
  // providers/github.yaml: the REST API, its /graphql path (a subset of it), and git over HTTPS.
  github: [https("api.github.com"), https("api.github.com", "/graphql"), https("github.com")],
  // providers/google-cloud.yaml: no `endpoints` key.
  "google-cloud": [],
  // providers/google-vertex-ai.yaml.
  "google-vertex-ai": [
    https("*-aiplatform.googleapis.com"),
    https("aiplatform.googleapis.com"),
    https("aiplatform.us.rep.googleapis.com"),
    https("aiplatform.eu.rep.googleapis.com"),
  ],
  // providers/nvidia.yaml.
  nvidia: [https("integrate.api.nvidia.com")],
  // providers/pypi.yaml (declares no credentials).
  pypi: [
    https("pypi.org"),
    https("files.pythonhosted.org"),
    https("github.com"),
    https("objects.githubusercontent.com"),
    https("api.github.com"),
    https("downloads.python.org"),
  ],
};

/**
 * Which credential keys of a provider upstream never puts in a sandbox's environment
 * (`is_non_injectable_provider_credential`): the Vertex AI service account key is refresh material.
 */
export function isNonInjectableCredential(providerType: string, key: string): boolean {
  return providerType === "google-vertex-ai" && key === "GOOGLE_SERVICE_ACCOUNT_KEY";
}

/**
 * The endpoints of the built-in profile of a (canonical) provider type: a list (maybe empty) when
 * the type has a profile, undefined when it has none.
 */
export function profileEndpoints(providerType: string): readonly CredentialEndpoint[] | undefined {
  return Object.hasOwn(BUILTIN_PROFILE_ENDPOINTS, providerType)
    ? BUILTIN_PROFILE_ENDPOINTS[providerType]
    : undefined;
}
