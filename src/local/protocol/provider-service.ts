import { randomUUID } from "node:crypto";
import type { ServiceImpl } from "@connectrpc/connect";
import type { Provider } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import type { OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import type { SandboxDirectory, SandboxView } from "../sandboxes/sandbox-directory.js";
import {
  applyProviderUpdate,
  attachToSpec,
  detachFromSpec,
  newProvider,
  providerInUse,
  providerNotFound,
  providerToUpdate,
  redactProvider,
  sandboxesUsing,
  unknownProvider,
} from "./providers.js";
import { requiredField } from "./required-field.js";
import { sandboxAtVersion } from "./sandbox-at-version.js";
import { sandboxByName } from "./sandbox-lookup.js";
import { checkResourceVersion, checkWorkspaceScope, page, paging, workspaceOf } from "./validation.js";

/**
 * Where a gateway keeps its providers, credentials included. Workspaces reach it defaulted. What it
 * returns is the caller's to change: the handlers mutate a provider before they store it back.
 */
export interface ProviderRepository {
  get(name: string, workspace: string): Provider | undefined;
  /** Ordered by name; every workspace when `workspace` is undefined. */
  list(workspace: string | undefined): Provider[];
  /** Stores a new provider; ALREADY_EXISTS when its name is taken in its workspace. */
  create(provider: Provider): void;
  /**
   * Stores `provider` over the one at `expectedVersion` and sets its `metadata.resource_version` to
   * the next version; ABORTED when the stored one changed meanwhile.
   */
  replace(provider: Provider, expectedVersion: bigint): void;
  delete(name: string, workspace: string): boolean;
  /**
   * Refuses (throws) giving `sandbox` the provider list `providers`, as attaching or detaching one
   * would, when the gateway checks more than the names (local mode: credential keys two providers
   * share, the policy's credential bindings).
   */
  checkAttachments?(sandbox: SandboxView, providers: readonly string[], change: "attach" | "detach"): void;
  /**
   * Refuses (throws) storing `provider` as updated when a sandbox of `sandboxes` it is attached to
   * could not have it (local mode: a credential key another of its providers gives).
   */
  checkUpdate?(provider: Provider, sandboxes: readonly SandboxView[]): void;
}

/**
 * The provider calls (SEMANTICS.md §6) over any storage: CRUD, attachment to sandboxes through their
 * spec. Credentials are write-only: every response carries their keys with "REDACTED" values.
 */
export function providerService(
  providers: ProviderRepository,
  sandboxes: SandboxDirectory,
  now: () => number,
): Partial<ServiceImpl<typeof OpenShell>> {
  return {
    async createProvider(req) {
      const provider = newProvider(req, randomUUID(), now());
      providers.create(provider);
      return { provider: redactProvider(provider) };
    },

    async getProvider(req) {
      const provider = providers.get(requiredField(req.name, "name"), workspaceOf(req.workspace));
      if (!provider) throw providerNotFound(req.name, req.workspace);
      return { provider: redactProvider(provider) };
    },

    async listProviders(req) {
      checkWorkspaceScope(req.workspace, req.allWorkspaces);
      const all = providers.list(req.allWorkspaces ? undefined : workspaceOf(req.workspace));
      return { providers: page(all, req.limit, req.offset, paging.providers).map(redactProvider) };
    },

    async updateProvider(req) {
      const { name, workspace } = providerToUpdate(req);
      const current = providers.get(name, workspaceOf(workspace));
      if (!current?.metadata) throw providerNotFound(name, workspace);
      const version = current.metadata.resourceVersion;
      checkResourceVersion(`provider "${name}"`, req.provider?.metadata?.resourceVersion ?? 0n, version);
      applyProviderUpdate(current, req);
      providers.checkUpdate?.(current, sandboxes.all(workspaceOf(workspace)));
      providers.replace(current, version);
      return { provider: redactProvider(current) };
    },

    async deleteProvider(req) {
      const workspace = workspaceOf(req.workspace);
      if (!providers.get(requiredField(req.name, "name"), workspace)) return { deleted: false };
      const users = sandboxesUsing(sandboxes.all(workspace), req.name);
      if (users.length > 0) throw providerInUse(req.name, users);
      return { deleted: providers.delete(req.name, workspace) };
    },

    async attachSandboxProvider(req) {
      requiredField(req.providerName, "provider_name");
      const sandbox = sandboxAtVersion(
        sandboxes,
        req.sandboxName,
        req.workspace,
        req.expectedResourceVersion,
        "sandbox_name",
      );
      if (!providers.get(req.providerName, sandbox.workspace)) {
        throw unknownProvider(req.providerName, sandbox.workspace);
      }
      if (sandbox.spec.providers.includes(req.providerName)) {
        return { sandbox: sandbox.toProto(), attached: false };
      }
      providers.checkAttachments?.(sandbox, [...sandbox.spec.providers, req.providerName], "attach");
      const updated = sandboxes.updateSpec(sandbox.id, (spec) => attachToSpec(spec, req.providerName));
      sandboxes.gatewayLog(sandbox.id, "INFO", `provider "${req.providerName}" attached`);
      return { sandbox: updated.toProto(), attached: true };
    },

    async detachSandboxProvider(req) {
      requiredField(req.providerName, "provider_name");
      const sandbox = sandboxAtVersion(
        sandboxes,
        req.sandboxName,
        req.workspace,
        req.expectedResourceVersion,
        "sandbox_name",
      );
      if (!sandbox.spec.providers.includes(req.providerName)) {
        return { sandbox: sandbox.toProto(), detached: false };
      }
      providers.checkAttachments?.(
        sandbox,
        sandbox.spec.providers.filter((name) => name !== req.providerName),
        "detach",
      );
      const updated = sandboxes.updateSpec(sandbox.id, (spec) => detachFromSpec(spec, req.providerName));
      sandboxes.gatewayLog(sandbox.id, "INFO", `provider "${req.providerName}" detached`);
      return { sandbox: updated.toProto(), detached: true };
    },

    async listSandboxProviders(req) {
      const sandbox = sandboxByName(sandboxes, req.sandboxName, req.workspace, "sandbox_name");
      const attached = sandbox.spec.providers
        .map((name) => providers.get(name, sandbox.workspace))
        .filter((p): p is Provider => p !== undefined)
        .map(redactProvider);
      return { providers: attached };
    },
  };
}
