import { clone, create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Provider, ProviderSchema } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import type {
  CreateProviderRequest,
  SandboxSpec,
  UpdateProviderRequest,
} from "../../gen/openshell/v1/openshell_pb.js";
import { failedPrecondition, invalidArgument, notFound } from "./gateway-errors.js";
import { limits, workspaceOf } from "./validation.js";

/** What every credential value reads as in a response. */
export const REDACTED = "REDACTED";

/** Provider types the gateway knows, aliases mapped to their canonical name (SEMANTICS.md §6). */
const providerTypes: Record<string, string> = {
  openai: "openai",
  anthropic: "anthropic",
  nvidia: "nvidia",
  deepinfra: "deepinfra",
  "aws-bedrock": "aws-bedrock",
  "google-vertex-ai": "google-vertex-ai",
  "claude-code": "claude-code",
  claude: "claude-code",
  claude_code: "claude-code",
  codex: "codex",
  copilot: "copilot",
  opencode: "opencode",
  github: "github",
  gh: "github",
  gitlab: "gitlab",
  glab: "gitlab",
  "google-cloud": "google-cloud",
  gcp: "google-cloud",
  outlook: "outlook",
  generic: "generic",
  // Types that are upstream's built-in provider profiles (providers/*.yaml) and nothing more.
  aws: "aws",
  "aws-s3": "aws-s3",
  cursor: "cursor",
  pypi: "pypi",
};

export function canonicalProviderType(type: string): string {
  if (type === "") throw invalidArgument("provider.type is required");
  // An own key only: "constructor" or "toString" are the table's prototype, not provider types.
  const canonical = Object.hasOwn(providerTypes, type) ? providerTypes[type] : undefined;
  if (!canonical) throw invalidArgument(`unknown provider type "${type}"`);
  return canonical;
}

/** Credentials are write-only: every response carries "REDACTED" in place of each value. */
export function redactProvider(provider: Provider): Provider {
  const copy = clone(ProviderSchema, provider);
  for (const key of Object.keys(copy.credentials)) copy.credentials[key] = REDACTED;
  return copy;
}

export function providerNotFound(name: string, workspace: string): ConnectError {
  return notFound(`provider "${name}" not found in workspace "${workspaceOf(workspace)}"`);
}

export function providerExists(name: string, workspace: string): ConnectError {
  return new ConnectError(
    `provider "${name}" already exists in workspace "${workspaceOf(workspace)}"`,
    Code.AlreadyExists,
  );
}

/** A sandbox naming a provider that does not exist (create, attach, inference route). */
export function unknownProvider(name: string, workspace: string): ConnectError {
  return failedPrecondition(
    `provider "${name}" not found in workspace "${workspaceOf(workspace)}"; create it first (providers.create) or check the name`,
  );
}

export function providerInUse(name: string, sandboxNames: string[]): ConnectError {
  return failedPrecondition(
    `provider "${name}" is attached to sandbox(es) ${sandboxNames.join(", ")}; detach it first`,
  );
}

/** Names of the sandboxes whose spec lists provider `name`. */
export function sandboxesUsing(
  sandboxes: Iterable<{ name: string; spec: Pick<SandboxSpec, "providers"> }>,
  name: string,
): string[] {
  return [...sandboxes].filter((s) => s.spec.providers.includes(name)).map((s) => s.name);
}

/**
 * A new provider from CreateProvider: name and type checked, the type canonical, resource version 1.
 * The workspace is the request's, else the provider metadata's, else `default`.
 */
export function newProvider(req: CreateProviderRequest, id: string, nowMs: number): Provider {
  const input = req.provider;
  if (!input) throw invalidArgument("provider is required");
  const name = input.metadata?.name ?? "";
  if (name === "") throw invalidArgument("provider.metadata.name is required");
  return create(ProviderSchema, {
    type: canonicalProviderType(input.type),
    credentials: { ...input.credentials },
    config: { ...input.config },
    credentialExpiresAtMs: { ...input.credentialExpiresAtMs },
    profileWorkspace: input.profileWorkspace,
    metadata: {
      id,
      name,
      workspace: workspaceOf(req.workspace || input.metadata?.workspace || ""),
      createdAtMs: BigInt(nowMs),
      resourceVersion: 1n,
      labels: { ...input.metadata?.labels },
      annotations: { ...input.metadata?.annotations },
    },
  });
}

/** Which provider UpdateProvider names: `{ name, workspace }` (workspace not yet defaulted). */
export function providerToUpdate(req: UpdateProviderRequest): { name: string; workspace: string } {
  if (!req.provider) throw invalidArgument("provider is required");
  const name = req.provider.metadata?.name ?? "";
  if (name === "") throw invalidArgument("provider.metadata.name is required");
  return { name, workspace: req.workspace || req.provider.metadata?.workspace || "" };
}

/** An empty value in an update deletes that key. */
function mergeInto<V>(
  target: Record<string, V>,
  changes: Record<string, V>,
  isEmpty: (v: V) => boolean,
): void {
  for (const [key, value] of Object.entries(changes)) {
    if (isEmpty(value)) delete target[key];
    else target[key] = value;
  }
}

/**
 * Applies UpdateProvider to `current` (mutated): the type cannot change, maps merge with an empty
 * value deleting its key. The caller checks the resource version and bumps it.
 */
export function applyProviderUpdate(current: Provider, req: UpdateProviderRequest): void {
  const input = req.provider;
  if (!input) throw invalidArgument("provider is required");
  if (input.type !== "" && canonicalProviderType(input.type) !== current.type) {
    throw invalidArgument(`provider.type cannot change (is "${current.type}")`);
  }
  const isEmpty = (v: string) => v === "";
  mergeInto(current.credentials, input.credentials, isEmpty);
  mergeInto(current.config, input.config, isEmpty);
  mergeInto(current.credentialExpiresAtMs, input.credentialExpiresAtMs, (v) => v === 0n);
  mergeInto(current.credentialExpiresAtMs, req.credentialExpiresAtMs, (v) => v === 0n);
}

/**
 * Adds provider `name` to a sandbox's spec (mutated); false when it was already there. A spec holds
 * at most 32 providers, as at create.
 */
export function attachToSpec(spec: Pick<SandboxSpec, "providers">, name: string): boolean {
  if (spec.providers.includes(name)) return false;
  if (spec.providers.length >= limits.providers) {
    throw failedPrecondition(`the sandbox already has ${limits.providers} providers, the most it may have`);
  }
  spec.providers.push(name);
  return true;
}

/** Removes provider `name` from a sandbox's spec (mutated); false when it was not there. */
export function detachFromSpec(spec: Pick<SandboxSpec, "providers">, name: string): boolean {
  const index = spec.providers.indexOf(name);
  if (index < 0) return false;
  spec.providers.splice(index, 1);
  return true;
}
