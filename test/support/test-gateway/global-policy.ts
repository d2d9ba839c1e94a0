import { clone, create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type SandboxPolicy, SandboxPolicySchema } from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  PolicyStatus,
  type SandboxPolicyRevision,
  SandboxPolicyRevisionSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { policyHash } from "../../../src/local/protocol/sandbox-policy.js";
import { page, paging } from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";

/**
 * The gateway-wide policy (SEMANTICS §8, `global`), as upstream keeps it: a list of revisions of its
 * own, each LOADED at once (no supervisor loads it) and superseding the one before; the same policy
 * again makes no new revision; deleting it supersedes them all. While one is active it is every
 * sandbox's effective policy, and per-sandbox policy changes and draft approvals are refused.
 */
export class GlobalPolicy {
  /** Oldest first. */
  private readonly revisions: SandboxPolicyRevision[] = [];
  private current: SandboxPolicy | undefined;

  /** The active global policy, if one is set. */
  active(): { policy: SandboxPolicy; version: number; policyHash: string } | undefined {
    const latest = this.revisions[this.revisions.length - 1];
    if (!this.current || !latest) return undefined;
    return { policy: this.current, version: latest.version, policyHash: latest.policyHash };
  }

  /** Stores `policy`; `changed` is false when it is the active one already. */
  set(policy: SandboxPolicy): { version: number; policyHash: string; changed: boolean } {
    const hash = policyHash(policy);
    const latest = this.revisions[this.revisions.length - 1];
    if (this.current && latest && latest.policyHash === hash) {
      return { version: latest.version, policyHash: hash, changed: false };
    }
    const now = BigInt(Date.now());
    for (const older of this.revisions) older.status = PolicyStatus.SUPERSEDED;
    const revision = create(SandboxPolicyRevisionSchema, {
      version: (latest?.version ?? 0) + 1,
      policyHash: hash,
      status: PolicyStatus.LOADED,
      createdAtMs: now,
      loadedAtMs: now,
      policy: clone(SandboxPolicySchema, policy),
    });
    this.revisions.push(revision);
    this.current = revision.policy;
    return { version: revision.version, policyHash: hash, changed: true };
  }

  /** Removes the global policy; false when none was set. */
  delete(): boolean {
    if (!this.current) return false;
    this.current = undefined;
    for (const revision of this.revisions) revision.status = PolicyStatus.SUPERSEDED;
    return true;
  }

  /** GetSandboxPolicyStatus with `global`: the latest revision, or `version`. */
  revision(version: number): SandboxPolicyRevision {
    const found =
      version === 0
        ? this.revisions[this.revisions.length - 1]
        : this.revisions.find((r) => r.version === version);
    if (!found) throw new ConnectError("no global policy revision found", Code.NotFound);
    return found;
  }

  /** ListSandboxPolicies with `global`: newest first, without the policies themselves. */
  list(limit: number, offset: number): SandboxPolicyRevision[] {
    const newest = [...this.revisions].reverse().map((r) => {
      const copy = clone(SandboxPolicyRevisionSchema, r);
      copy.policy = undefined;
      return copy;
    });
    return page(newest, limit, offset, paging.policyRevisions);
  }
}

const policies = new WeakMap<GatewayState, GlobalPolicy>();

/** The gateway's global policy: one per test gateway, shared by the handlers that consult it. */
export function globalPolicyOf(state: GatewayState): GlobalPolicy {
  let policy = policies.get(state);
  if (!policy) {
    policy = new GlobalPolicy();
    policies.set(state, policy);
  }
  return policy;
}

/** What upstream answers a per-sandbox policy change or a draft approval while a global policy is set. */
export function managedGlobally(what: "update" | "approve"): ConnectError {
  return new ConnectError(
    what === "update"
      ? "policy is managed globally; delete global policy before sandbox policy update"
      : "cannot approve rules while a global policy is active; delete the global policy to manage per-sandbox rules",
    Code.FailedPrecondition,
  );
}
