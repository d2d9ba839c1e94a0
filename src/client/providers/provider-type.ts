/**
 * Provider types the gateway knows (SEMANTICS §6). Inference providers can back an inference route;
 * the others inject tool credentials (git hosts, coding agents, cloud CLIs) into sandboxes.
 */
export type KnownProviderType =
  | "openai"
  | "anthropic"
  | "nvidia"
  | "deepinfra"
  | "aws"
  | "aws-bedrock"
  | "aws-s3"
  | "google-vertex-ai"
  | "claude-code"
  | "claude"
  | "claude_code"
  | "codex"
  | "copilot"
  | "cursor"
  | "opencode"
  | "github"
  | "gh"
  | "gitlab"
  | "glab"
  | "google-cloud"
  | "gcp"
  | "outlook"
  | "pypi"
  | "generic";

/**
 * A provider's type: one of {@link KnownProviderType} (offered by editors' completion), or any other
 * non-empty string, so types a newer gateway adds work without an SDK release. The gateway rejects
 * types it does not know with `InvalidArgumentError`.
 */
// `string & {}` keeps the literal members visible to completion instead of collapsing into `string`.
export type ProviderType = KnownProviderType | (string & {});
