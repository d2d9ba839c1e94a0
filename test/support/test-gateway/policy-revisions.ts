import type { SandboxPolicy } from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import type { SandboxPolicyRevision } from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  applyLoad,
  initialPolicyRevision,
  pendingPolicyRevision,
  supersedeIfPending,
} from "../../../src/local/protocol/sandbox-policy.js";
import type { GatewayState } from "./gateway-state.js";
import type { SandboxRecord } from "./sandbox-record.js";

/** How long a new revision stays PENDING before the "supervisor" reports it LOADED. */
export const policyLoadMs = 50;

export function addInitialRevision(record: SandboxRecord): void {
  record.revisions.push(initialPolicyRevision(record.spec.policy, Date.now()));
}

function latestRevision(record: SandboxRecord): SandboxPolicyRevision | undefined {
  return record.revisions[record.revisions.length - 1];
}

/**
 * Stores `policy` as a new PENDING revision and loads it shortly after, superseding the one that was
 * active; a newer update arriving first supersedes this one instead.
 */
export function addRevision(
  state: GatewayState,
  record: SandboxRecord,
  policy: SandboxPolicy,
): SandboxPolicyRevision {
  const revision = pendingPolicyRevision((latestRevision(record)?.version ?? 0) + 1, policy, Date.now());
  for (const older of record.revisions) supersedeIfPending(older);
  record.revisions.push(revision);
  record.gatewayLog("INFO", `policy version ${revision.version} stored (pending)`);
  record.touch();
  state.later(policyLoadMs, () => {
    const now = Date.now();
    if (!applyLoad(revision, revision.version, now)) return;
    for (const older of record.revisions) applyLoad(older, revision.version, now);
    record.gatewayLog("INFO", `policy version ${revision.version} loaded`);
    record.touch();
  });
  return revision;
}
