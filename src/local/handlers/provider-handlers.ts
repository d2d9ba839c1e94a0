import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type Provider, ProviderSchema } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import type { OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import { credentialCacheOf } from "../credentials/credential-cache.js";
import { checkProviderChange, checkProviderUpdate } from "../credentials/sandbox-binding-checks.js";
import { toConnectError } from "../protocol/gateway-errors.js";
import { type ProviderRepository, providerService } from "../protocol/provider-service.js";
import { workspaceOf } from "../protocol/validation.js";
import type { SandboxDirectory, SandboxView } from "../sandboxes/sandbox-directory.js";
import type { LocalStateStore } from "../state/state-store.js";
import { requireActiveWorkspace, requireKnownWorkspace } from "../workspaces/workspace-records.js";

/** What the provider, policy and inference handlers of the local gateway work with. */
export interface LocalHandlerDeps {
  store: LocalStateStore;
  sandboxes: SandboxDirectory;
  /** Milliseconds since the epoch; `Date.now` unless a test pins it. */
  now?: () => number;
}

/**
 * Providers in the state store as the Provider message's JSON, credentials included (the database
 * file is 0600). The store's resource_version column is the authoritative version, and its checks
 * also hold against another process sharing the state directory.
 */
class StoredProviders implements ProviderRepository {
  constructor(
    private readonly store: LocalStateStore,
    private readonly now: () => number,
  ) {}

  get(name: string, workspace: string): Provider | undefined {
    const row = this.store.getProvider<JsonValue>(workspace, name);
    return row === undefined ? undefined : parse(row.record, row.resourceVersion);
  }

  list(workspace: string | undefined): Provider[] {
    // Listing a workspace that was never created is NOT_FOUND (SEMANTICS §12), not an empty list.
    if (workspace !== undefined) requireKnownWorkspace(this.store.records, workspace);
    return this.store
      .listProviders<JsonValue>(workspace)
      .map((row) => parse(row.record, row.resourceVersion));
  }

  create(provider: Provider): void {
    // The check and the insert are one transaction: a workspace deleted meanwhile gets nothing new.
    this.store.records.atomically(() => {
      requireActiveWorkspace(this.store.records, workspaceOf(provider.metadata?.workspace ?? ""));
      this.put(provider, 0n);
    });
  }

  replace(provider: Provider, expectedVersion: bigint): void {
    this.put(provider, expectedVersion);
  }

  delete(name: string, workspace: string): boolean {
    const deleted = this.store.deleteProvider(workspace, name);
    credentialCacheOf(this.store).providersChanged();
    return deleted;
  }

  checkAttachments(sandbox: SandboxView, providers: readonly string[], change: "attach" | "detach"): void {
    checkProviderChange(this.store, sandbox, providers, change, this.now());
  }

  checkUpdate(provider: Provider, sandboxes: readonly SandboxView[]): void {
    checkProviderUpdate(this.store, provider, sandboxes, this.now());
  }

  private put(provider: Provider, expectedVersion: bigint): void {
    const { name = "", workspace = "" } = provider.metadata ?? {};
    let version: number;
    try {
      const record = toJson(ProviderSchema, provider);
      version = this.store.putProvider(workspace, name, record, Number(expectedVersion));
    } catch (error) {
      // The store's AlreadyExistsError and ConflictError: ALREADY_EXISTS and ABORTED on the wire.
      throw toConnectError(error);
    }
    if (provider.metadata) provider.metadata.resourceVersion = BigInt(version);
    // Sandboxes' cached environments may hold the old credentials: requests must see the new ones.
    credentialCacheOf(this.store).providersChanged();
  }
}

/** A provider as stored, credentials included: for the gateway's own use, never for an answer. */
export function storedProvider(
  store: LocalStateStore,
  workspace: string,
  name: string,
): Provider | undefined {
  const row = store.getProvider<JsonValue>(workspace, name);
  return row === undefined ? undefined : parse(row.record, row.resourceVersion);
}

function parse(record: JsonValue, resourceVersion: number): Provider {
  const provider = fromJson(ProviderSchema, record);
  if (provider.metadata) provider.metadata.resourceVersion = BigInt(resourceVersion);
  return provider;
}

/** The provider calls of the local gateway, kept in its state store (see `providerService`). */
export function providerHandlers({
  store,
  sandboxes,
  now = Date.now,
}: LocalHandlerDeps): Partial<ServiceImpl<typeof OpenShell>> {
  return providerService(new StoredProviders(store, now), sandboxes, now);
}
