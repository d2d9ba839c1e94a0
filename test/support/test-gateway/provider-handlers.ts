import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Provider, ProviderSchema } from "../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type GatewayState, workspaceOf } from "./gateway-state.js";
import { invalid, page } from "./validation.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

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
};

function canonicalType(type: string): string {
  if (type === "") throw invalid("provider.type is required");
  const canonical = providerTypes[type];
  if (!canonical) throw invalid(`unknown provider type "${type}"`);
  return canonical;
}

/** Credentials are write-only: every response carries "REDACTED" in place of each value. */
function redacted(provider: Provider): Provider {
  const copy = clone(ProviderSchema, provider);
  for (const key of Object.keys(copy.credentials)) copy.credentials[key] = "REDACTED";
  return copy;
}

/** An empty value in an update deletes that key. */
function merge<V>(target: Record<string, V>, changes: Record<string, V>, isEmpty: (v: V) => boolean): void {
  for (const [key, value] of Object.entries(changes)) {
    if (isEmpty(value)) delete target[key];
    else target[key] = value;
  }
}

function attachedTo(state: GatewayState, provider: Provider): string[] {
  const ws = provider.metadata?.workspace ?? "default";
  const name = provider.metadata?.name ?? "";
  return [...state.sandboxes.values()]
    .filter((r) => r.workspace === ws && r.spec.providers.includes(name))
    .map((r) => r.name);
}

export function providerHandlers(state: GatewayState): Handlers {
  const key = (name: string, workspace: string) => `${workspaceOf(workspace)}/${name}`;

  return {
    async createProvider(req) {
      const input = req.provider;
      if (!input) throw invalid("provider is required");
      const name = input.metadata?.name ?? "";
      if (name === "") throw invalid("provider.metadata.name is required");
      const workspace = workspaceOf(req.workspace || input.metadata?.workspace || "");
      const type = canonicalType(input.type);
      if (state.providers.has(key(name, workspace))) {
        throw new ConnectError(
          `provider "${name}" already exists in workspace "${workspace}"`,
          Code.AlreadyExists,
        );
      }
      const provider = create(ProviderSchema, {
        type,
        credentials: { ...input.credentials },
        config: { ...input.config },
        credentialExpiresAtMs: { ...input.credentialExpiresAtMs },
        profileWorkspace: input.profileWorkspace,
        metadata: {
          id: randomUUID(),
          name,
          workspace,
          createdAtMs: BigInt(Date.now()),
          resourceVersion: 1n,
          labels: { ...input.metadata?.labels },
          annotations: { ...input.metadata?.annotations },
        },
      });
      state.providers.set(key(name, workspace), provider);
      return { provider: redacted(provider) };
    },

    async getProvider(req) {
      const provider = state.provider(req.name, req.workspace);
      if (!provider) throw new ConnectError(`provider "${req.name}" not found`, Code.NotFound);
      return { provider: redacted(provider) };
    },

    async listProviders(req) {
      if (req.workspace !== "" && req.allWorkspaces) {
        throw invalid("workspace and all_workspaces cannot both be set");
      }
      const workspace = workspaceOf(req.workspace);
      const all = [...state.providers.values()]
        .filter((p) => req.allWorkspaces || p.metadata?.workspace === workspace)
        .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
      return { providers: page(all, req.limit, req.offset, 100, 1000).map(redacted) };
    },

    async updateProvider(req) {
      const input = req.provider;
      if (!input) throw invalid("provider is required");
      const name = input.metadata?.name ?? "";
      const current = state.provider(name, req.workspace || input.metadata?.workspace || "");
      if (!current) throw new ConnectError(`provider "${name}" not found`, Code.NotFound);
      const expected = input.metadata?.resourceVersion ?? 0n;
      if (expected !== 0n && expected !== current.metadata?.resourceVersion) {
        throw new ConnectError(
          `provider "${name}" changed since resource_version ${expected} (now ${current.metadata?.resourceVersion})`,
          Code.Aborted,
        );
      }
      if (input.type !== "" && canonicalType(input.type) !== current.type) {
        throw invalid(`provider.type cannot change (is "${current.type}")`);
      }
      const isEmpty = (v: string) => v === "";
      merge(current.credentials, input.credentials, isEmpty);
      merge(current.config, input.config, isEmpty);
      merge(current.credentialExpiresAtMs, input.credentialExpiresAtMs, (v) => v === 0n);
      merge(current.credentialExpiresAtMs, req.credentialExpiresAtMs, (v) => v === 0n);
      if (current.metadata) current.metadata.resourceVersion++;
      return { provider: redacted(current) };
    },

    async deleteProvider(req) {
      const provider = state.provider(req.name, req.workspace);
      if (!provider) return { deleted: false };
      const users = attachedTo(state, provider);
      if (users.length > 0) {
        throw new ConnectError(
          `provider "${req.name}" is attached to sandbox(es) ${users.join(", ")}; detach it first`,
          Code.FailedPrecondition,
        );
      }
      state.providers.delete(key(req.name, req.workspace));
      return { deleted: true };
    },

    async attachSandboxProvider(req) {
      const record = state.sandboxByName(req.sandboxName, req.workspace);
      checkExpectedVersion(req.expectedResourceVersion, record.resourceVersion, record.name);
      if (!state.provider(req.providerName, req.workspace)) {
        throw new ConnectError(`provider "${req.providerName}" not found`, Code.FailedPrecondition);
      }
      if (record.spec.providers.includes(req.providerName))
        return { sandbox: record.toProto(), attached: false };
      record.spec.providers.push(req.providerName);
      record.gatewayLog("INFO", `provider "${req.providerName}" attached`);
      record.touch();
      return { sandbox: record.toProto(), attached: true };
    },

    async detachSandboxProvider(req) {
      const record = state.sandboxByName(req.sandboxName, req.workspace);
      checkExpectedVersion(req.expectedResourceVersion, record.resourceVersion, record.name);
      const index = record.spec.providers.indexOf(req.providerName);
      if (index < 0) return { sandbox: record.toProto(), detached: false };
      record.spec.providers.splice(index, 1);
      record.gatewayLog("INFO", `provider "${req.providerName}" detached`);
      record.touch();
      return { sandbox: record.toProto(), detached: true };
    },

    async listSandboxProviders(req) {
      const record = state.sandboxByName(req.sandboxName, req.workspace);
      const providers = record.spec.providers
        .map((name) => state.provider(name, record.workspace))
        .filter((p): p is Provider => p !== undefined)
        .map(redacted);
      return { providers };
    },
  };
}

function checkExpectedVersion(expected: bigint, actual: bigint, name: string): void {
  if (expected !== 0n && expected !== actual) {
    throw new ConnectError(
      `sandbox "${name}" changed since resource_version ${expected} (now ${actual})`,
      Code.Aborted,
    );
  }
}
