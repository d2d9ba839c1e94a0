import { createHash } from "node:crypto";
import { clone, create, type DescMessage, equals, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  FilesystemPolicySchema,
  LandlockPolicySchema,
  ProcessPolicySchema,
  type SandboxPolicy,
  SandboxPolicySchema,
  type SettingValue,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  PolicyStatus,
  type SandboxPolicyRevision,
  SandboxPolicyRevisionSchema,
  type UpdateConfigRequest,
} from "../../gen/openshell/v1/openshell_pb.js";
import { invalidArgument, notFound } from "./gateway-errors.js";
import { applyMergeOperations } from "./policy-merge.js";
import { checkPolicySize } from "./validation.js";

/** What a revision's policy hash is computed over: the policy's protobuf bytes. */
export function policyHash(policy: SandboxPolicy): string {
  return createHash("sha256").update(toBinary(SandboxPolicySchema, policy)).digest("hex");
}

/** The policy of a sandbox created without one. */
export function emptyPolicy(): SandboxPolicy {
  return create(SandboxPolicySchema, { version: 1 });
}

/** Revision 1 is the policy the sandbox was created with, loaded from the start. */
export function initialPolicyRevision(
  policy: SandboxPolicy | undefined,
  nowMs: number,
): SandboxPolicyRevision {
  const initial = policy ? clone(SandboxPolicySchema, policy) : emptyPolicy();
  return create(SandboxPolicyRevisionSchema, {
    version: 1,
    policyHash: policyHash(initial),
    status: PolicyStatus.LOADED,
    createdAtMs: BigInt(nowMs),
    loadedAtMs: BigInt(nowMs),
    policy: initial,
    provenance: { source: "create" },
  });
}

/** A revision stored by UpdateConfig: PENDING until the sandbox has loaded it. */
export function pendingPolicyRevision(
  version: number,
  policy: SandboxPolicy,
  nowMs: number,
): SandboxPolicyRevision {
  return create(SandboxPolicyRevisionSchema, {
    version,
    policyHash: policyHash(policy),
    status: PolicyStatus.PENDING,
    createdAtMs: BigInt(nowMs),
    policy,
    provenance: { source: "update" },
  });
}

/**
 * Applied to each older revision when a newer one is stored: one still PENDING will never load now.
 * Returns whether it changed.
 */
export function supersedeIfPending(older: SandboxPolicyRevision): boolean {
  if (older.status !== PolicyStatus.PENDING) return false;
  older.status = PolicyStatus.SUPERSEDED;
  return true;
}

/**
 * Applied to each revision when version `loaded` has been loaded: that one becomes LOADED, the
 * one that was active before it SUPERSEDED. Returns whether `revision` changed.
 */
export function applyLoad(revision: SandboxPolicyRevision, loaded: number, nowMs: number): boolean {
  if (revision.version === loaded) {
    if (revision.status !== PolicyStatus.PENDING) return false;
    revision.status = PolicyStatus.LOADED;
    revision.loadedAtMs = BigInt(nowMs);
    return true;
  }
  if (revision.version > loaded || revision.status !== PolicyStatus.LOADED) return false;
  revision.status = PolicyStatus.SUPERSEDED;
  return true;
}

/**
 * Applied to each revision when version `failed` could not be loaded: it becomes FAILED with the
 * reason, and the revision active before it stays active. Returns whether `revision` changed.
 */
export function applyLoadFailure(revision: SandboxPolicyRevision, failed: number, reason: string): boolean {
  if (revision.version !== failed || revision.status !== PolicyStatus.PENDING) return false;
  revision.status = PolicyStatus.FAILED;
  revision.loadError = reason;
  return true;
}

/** The version the sandbox runs: the newest LOADED revision, 0 when none is. */
export function activePolicyVersion(revisions: Iterable<SandboxPolicyRevision>): number {
  let active = 0;
  for (const revision of revisions) {
    if (revision.status === PolicyStatus.LOADED && revision.version > active) active = revision.version;
  }
  return active;
}

/**
 * UNIMPLEMENTED for the global scope. Local mode words it as it words every call it does not serve
 * ("not available in local mode"), so the SDK shows it as is rather than blaming an old gateway.
 */
export function noGlobalPolicy(gateway: string): ConnectError {
  const instead = "update each sandbox's policy and settings by name";
  return new ConnectError(
    gateway === "local gateway"
      ? `the global scope (gateway-wide policy and settings) is not available in local mode (OpenShell.local()): ${instead}`
      : `the ${gateway} has no global policy scope; ${instead}`,
    Code.Unimplemented,
  );
}

export function policyVersionNotFound(sandboxName: string, version: number): ConnectError {
  return notFound(`sandbox "${sandboxName}" has no policy version ${version}`);
}

/**
 * UpdateConfig's request rules that need no state, checked before anything changes: sandbox scope
 * only, a setting needs a value unless it is deleted, and something must be asked for.
 */
export function checkUpdateConfig(req: UpdateConfigRequest, gateway: string): void {
  if (req.global) throw noGlobalPolicy(gateway);
  if (req.settingKey !== "") {
    if (!req.deleteSetting && !req.settingValue) {
      throw invalidArgument("setting_value is required unless delete_setting is set");
    }
  } else if (!req.policy && req.mergeOperations.length === 0) {
    throw invalidArgument("nothing to update: set policy, merge_operations or setting_key");
  }
}

/**
 * The setting change UpdateConfig asks for, applied to `settings`; undefined when it asks for none.
 * `deleted` says whether a deleted key was there.
 */
export function applySettingChange(
  settings: Map<string, SettingValue>,
  req: UpdateConfigRequest,
): { deleted: boolean } | undefined {
  if (req.settingKey === "") return undefined;
  if (req.deleteSetting) return { deleted: settings.delete(req.settingKey) };
  if (req.settingValue) settings.set(req.settingKey, req.settingValue);
  return { deleted: false };
}

/** An unset section equals an empty one: clients may send either for "nothing set". */
function sameSection<Desc extends DescMessage>(
  schema: Desc,
  a: MessageShape<Desc> | undefined,
  b: MessageShape<Desc> | undefined,
): boolean {
  return equals(schema, a ?? create(schema), b ?? create(schema));
}

/** Filesystem, landlock and process are fixed at create (SEMANTICS.md §8). */
function checkStaticSections(current: SandboxPolicy, next: SandboxPolicy): void {
  const changed = !sameSection(FilesystemPolicySchema, current.filesystem, next.filesystem)
    ? "filesystem"
    : !sameSection(LandlockPolicySchema, current.landlock, next.landlock)
      ? "landlock"
      : !sameSection(ProcessPolicySchema, current.process, next.process)
        ? "process"
        : undefined;
  if (changed) {
    throw invalidArgument(
      `policy.${changed} cannot change after the sandbox is created; only network_policies may`,
    );
  }
}

/**
 * The policy UpdateConfig makes from the latest one (`current`): the request's policy, or the
 * current one, with the merge operations applied. Undefined when the request changes no policy.
 */
export function nextSandboxPolicy(
  current: SandboxPolicy | undefined,
  req: UpdateConfigRequest,
): SandboxPolicy | undefined {
  if (!req.policy && req.mergeOperations.length === 0) return undefined;
  const base = current ?? emptyPolicy();
  const next = clone(SandboxPolicySchema, req.policy ?? base);
  checkStaticSections(base, next);
  applyMergeOperations(next, req.mergeOperations);
  checkPolicySize(next, "policy");
  return next;
}
