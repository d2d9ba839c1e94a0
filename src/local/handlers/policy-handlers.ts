import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type SandboxPolicy, SettingValueSchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  type OpenShell,
  PolicyStatus,
  type SandboxPolicyRevision,
  SandboxPolicyRevisionSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import { credentialCacheOf } from "../credentials/credential-cache.js";
import { checkSandboxCredentialBindings } from "../credentials/sandbox-binding-checks.js";
import { type PolicyRepository, policyService, type SandboxSettings } from "../protocol/policy-service.js";
import {
  applyLoad,
  applyLoadFailure,
  initialPolicyRevision,
  pendingPolicyRevision,
  supersedeIfPending,
} from "../protocol/sandbox-policy.js";
import type { SandboxDirectory, SandboxView } from "../sandboxes/sandbox-directory.js";
import type { LocalStateStore } from "../state/state-store.js";
import type { LocalHandlerDeps } from "./provider-handlers.js";

/**
 * Checks that the gateway can enforce a policy revision; throws with the reason it cannot (the
 * revision is then FAILED with that reason).
 */
export type PolicyLoader = (policy: SandboxPolicy) => void;

/** A sandbox's settings as stored: SettingValue JSON by key, the revision as a decimal string. */
interface SettingsRecord {
  revision: string;
  settings: Record<string, JsonValue>;
  annotations: Record<string, string>;
}

const toRecord = (revision: SandboxPolicyRevision): JsonValue =>
  toJson(SandboxPolicyRevisionSchema, revision);
const fromRecord = (record: JsonValue): SandboxPolicyRevision =>
  fromJson(SandboxPolicyRevisionSchema, record);

function fromSettingsRecord(record: SettingsRecord | undefined): SandboxSettings {
  return {
    revision: BigInt(record?.revision ?? "0"),
    values: new Map(
      Object.entries(record?.settings ?? {}).map(([key, value]) => [
        key,
        fromJson(SettingValueSchema, value),
      ]),
    ),
    annotations: { ...record?.annotations },
  };
}

function toSettingsRecord(settings: SandboxSettings): SettingsRecord {
  return {
    revision: String(settings.revision),
    settings: Object.fromEntries(
      [...settings.values].map(([key, value]) => [key, toJson(SettingValueSchema, value)]),
    ),
    annotations: settings.annotations,
  };
}

/**
 * Records the policy `sandbox` was created with as its revision 1, LOADED from the start; the sandbox
 * handlers call it at create. Idempotent: a sandbox that has revisions keeps them (a restarted
 * gateway, or a sandbox whose history a policy call already started), and its newest is returned.
 */
export function recordInitialPolicy(
  store: LocalStateStore,
  sandbox: Pick<SandboxView, "id" | "spec">,
  nowMs: number = Date.now(),
): SandboxPolicyRevision {
  const [latest] = store.listPolicyRevisions<JsonValue>(sandbox.id, 1, 0);
  if (latest) return fromRecord(latest.record);
  const revision = initialPolicyRevision(sandbox.spec.policy, nowMs);
  store.appendPolicyRevision(sandbox.id, (version) => toRecord({ ...revision, version }));
  return revision;
}

/**
 * The version the sandbox runs (`status.current_policy_version`): its newest LOADED revision, 0 when
 * none is. Reads newest first and stops at the first LOADED one, usually the newest, since this runs
 * whenever a sandbox is turned into its wire form.
 */
export function activePolicyVersionOf(store: LocalStateStore, sandboxId: string): number {
  const pageSize = 16;
  for (let offset = 0; ; offset += pageSize) {
    const rows = store.listPolicyRevisions<JsonValue>(sandboxId, pageSize, offset);
    const loaded = rows.find((row) => fromRecord(row.record).status === PolicyStatus.LOADED);
    if (loaded) return loaded.version;
    if (rows.length < pageSize) return 0;
  }
}

/** The sandbox's active (newest LOADED) revision; undefined when none is. */
export function activePolicyRevisionOf(
  store: LocalStateStore,
  sandboxId: string,
): SandboxPolicyRevision | undefined {
  const version = activePolicyVersionOf(store, sandboxId);
  if (version === 0) return undefined;
  const record = store.getPolicyRevision<JsonValue>(sandboxId, version);
  return record === undefined ? undefined : fromRecord(record);
}

/** Revisions (as SandboxPolicyRevision JSON) and settings in the state store. */
class StoredPolicies implements PolicyRepository {
  constructor(
    private readonly store: LocalStateStore,
    private readonly sandboxes: SandboxDirectory,
    private readonly now: () => number,
    private readonly load: PolicyLoader,
    private readonly loaded: (sandboxId: string) => void,
  ) {}

  revisions(sandbox: SandboxView): SandboxPolicyRevision[] {
    recordInitialPolicy(this.store, sandbox, this.now());
    return this.store.listPolicyRevisions<JsonValue>(sandbox.id, -1, 0).map((row) => fromRecord(row.record));
  }

  /**
   * Local mode has no in-sandbox supervisor: the gateway enforces the network policy itself (its
   * egress proxy reads the sandbox's active revision on every connection), so loading a revision is
   * checking that the gateway can enforce it. A revision goes PENDING -> LOADED, which the running
   * sandbox's next connection sees without a restart, or PENDING -> FAILED with the reason, and the
   * revision active before it stays in force.
   */
  record(sandbox: SandboxView, policy: SandboxPolicy): SandboxPolicyRevision {
    const nowMs = this.now();
    const version = this.store.appendPolicyRevision(sandbox.id, (v) =>
      toRecord(pendingPolicyRevision(v, policy, nowMs)),
    );
    this.rewrite(sandbox.id, (revision) => revision.version < version && supersedeIfPending(revision));
    this.sandboxes.gatewayLog(sandbox.id, "INFO", `policy version ${version} stored (pending)`);
    // Its credential bindings may have changed: the proxy's cached environment goes.
    credentialCacheOf(this.store).forget(sandbox.id);

    let failure: string | undefined;
    try {
      this.load(policy);
    } catch (error) {
      failure = (error as Error).message;
    }
    if (failure === undefined) {
      this.rewrite(sandbox.id, (revision) => applyLoad(revision, version, this.now()));
      this.sandboxes.gatewayLog(sandbox.id, "INFO", `policy version ${version} loaded`);
      this.loaded(sandbox.id);
    } else {
      const reason = failure;
      this.rewrite(sandbox.id, (revision) => applyLoadFailure(revision, version, reason));
      this.sandboxes.gatewayLog(sandbox.id, "ERROR", `policy version ${version} failed to load: ${reason}`);
    }
    return fromRecord(this.store.getPolicyRevision<JsonValue>(sandbox.id, version) ?? null);
  }

  check(sandbox: SandboxView, policy: SandboxPolicy): void {
    checkSandboxCredentialBindings(this.store, sandbox.workspace, sandbox.spec.providers, policy, "policy");
  }

  settings(sandbox: SandboxView): SandboxSettings {
    return fromSettingsRecord(this.store.getSandboxSettings<SettingsRecord>(sandbox.id));
  }

  changeSettings(sandbox: SandboxView, change: (settings: SandboxSettings) => void): SandboxSettings {
    const stored = this.store.updateSandboxSettings<SettingsRecord>(sandbox.id, (record) => {
      const settings = fromSettingsRecord(record);
      change(settings);
      return toSettingsRecord(settings);
    });
    return fromSettingsRecord(stored);
  }

  /** Stores back, in one transaction, each revision `change` reports it changed. */
  private rewrite(sandboxId: string, change: (revision: SandboxPolicyRevision) => boolean): void {
    this.store.updatePolicyRevisions<JsonValue>(sandboxId, (record) => {
      const revision = fromRecord(record);
      return change(revision) ? toRecord(revision) : undefined;
    });
  }
}

/** What {@link storedPolicies} and {@link policyHandlers} need. */
export type StoredPoliciesDeps = LocalHandlerDeps & {
  loadPolicy?: PolicyLoader;
  onPolicyLoaded?: (sandboxId: string) => void;
};

/**
 * The sandboxes' policy revisions and settings in the state store, loaded the way UpdateConfig
 * loads them: for other calls that store revisions (the policy advisor's approvals).
 */
export function storedPolicies({
  store,
  sandboxes,
  now = Date.now,
  loadPolicy = () => undefined,
  onPolicyLoaded = () => undefined,
}: StoredPoliciesDeps): PolicyRepository {
  return new StoredPolicies(store, sandboxes, now, loadPolicy, onPolicyLoaded);
}

/**
 * GetSandboxConfig, UpdateConfig, GetSandboxPolicyStatus and ListSandboxPolicies of the local
 * gateway (see `policyService`), kept in its state store: revisions and settings survive a gateway
 * restart and go when the sandbox is deleted.
 */
export function policyHandlers(deps: StoredPoliciesDeps): Partial<ServiceImpl<typeof OpenShell>> {
  return policyService(storedPolicies(deps), deps.sandboxes, "local gateway");
}
