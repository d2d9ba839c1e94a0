import { createHash } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { type SandboxPolicy, SandboxPolicySchema } from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  PolicyStatus,
  type SandboxPolicyRevision,
  SandboxPolicyRevisionSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import type { GatewayState } from "./gateway-state.js";
import type { SandboxRecord } from "./sandbox-record.js";

/** How long a new revision stays PENDING before the "supervisor" reports it LOADED. */
export const policyLoadMs = 50;

export function policyHash(policy: SandboxPolicy): string {
  return createHash("sha256").update(toBinary(SandboxPolicySchema, policy)).digest("hex");
}

/** Revision 1 is the policy the sandbox was created with, loaded from the start. */
export function addInitialRevision(record: SandboxRecord): void {
  const policy = record.spec.policy ?? create(SandboxPolicySchema, { version: 1 });
  const now = BigInt(Date.now());
  record.revisions.push(
    create(SandboxPolicyRevisionSchema, {
      version: 1,
      policyHash: policyHash(policy),
      status: PolicyStatus.LOADED,
      createdAtMs: now,
      loadedAtMs: now,
      policy,
      provenance: { source: "create" },
    }),
  );
}

export function latestRevision(record: SandboxRecord): SandboxPolicyRevision | undefined {
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
  const revision = create(SandboxPolicyRevisionSchema, {
    version: (latestRevision(record)?.version ?? 0) + 1,
    policyHash: policyHash(policy),
    status: PolicyStatus.PENDING,
    createdAtMs: BigInt(Date.now()),
    policy,
    provenance: { source: "update" },
  });
  for (const older of record.revisions) {
    if (older.status === PolicyStatus.PENDING) older.status = PolicyStatus.SUPERSEDED;
  }
  record.revisions.push(revision);
  record.gatewayLog("INFO", `policy version ${revision.version} stored (pending)`);
  record.touch();
  state.later(policyLoadMs, () => {
    if (revision.status !== PolicyStatus.PENDING) return;
    for (const older of record.revisions) {
      if (older.status === PolicyStatus.LOADED) older.status = PolicyStatus.SUPERSEDED;
    }
    revision.status = PolicyStatus.LOADED;
    revision.loadedAtMs = BigInt(Date.now());
    record.gatewayLog("INFO", `policy version ${revision.version} loaded`);
    record.touch();
  });
  return revision;
}
