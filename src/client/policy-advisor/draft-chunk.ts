import type { NetworkPolicyRule, SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type {
  DraftHistoryEntry,
  GetDraftPolicyResponse,
  PolicyChunk,
} from "../../gen/openshell/v1/policy_advisor_pb.js";
import type { PolicyRevisionStatus } from "../policy/policy-revision.js";

/** Where a draft chunk stands: waiting for review, part of the policy, or turned down. */
export type DraftChunkStatus = "pending" | "approved" | "rejected";

/** A proposed network rule for one sandbox (SEMANTICS §13), as {@link DraftPolicyService.get} reads it. */
export interface DraftChunk {
  id: string;
  /** As the gateway says it; one of {@link DraftChunkStatus} on current gateways. */
  status: DraftChunkStatus | (string & {});
  /** The `network_policies` key the rule goes under when approved. */
  ruleName: string;
  proposedRule: NetworkPolicyRule | undefined;
  rationale: string;
  /** Non-empty when the proposal looks risky; `approveAll` skips these unless told otherwise. */
  securityNotes: string;
  confidence: number;
  /** The binary whose denied connections led to this chunk. */
  binary: string;
  /** How many denied connections this chunk stands for. */
  hitCount: number;
  /** Pass it back to approve: it proves you reviewed this chunk against the current policy. */
  reviewToken: string;
  /** Why it was rejected (shown to the agent). */
  rejectionReason: string;
  createdAt: Date;
  /** When it was approved or rejected; undefined while pending. */
  decidedAt: Date | undefined;
  /** The policy as it is, and as it would be with this chunk approved, when the gateway sends them. */
  currentPolicy: SandboxPolicy | undefined;
  candidatePolicy: SandboxPolicy | undefined;
  /** The message as received, for fields not lifted above. */
  message: PolicyChunk;
}

/** A sandbox's draft policy: its chunks and a version that changes whenever the draft does. */
export interface DraftPolicy {
  chunks: DraftChunk[];
  rollingSummary: string;
  draftVersion: bigint;
  /** When the supervisor last analysed denials; undefined if never. */
  lastAnalyzedAt: Date | undefined;
}

/** One event in the life of a sandbox's draft chunks. */
export interface DraftHistoryEvent {
  at: Date;
  /** E.g. `proposed`, `approved`, `rejected`, `edited`, `undone`, `cleared`. */
  type: string;
  description: string;
  chunkId: string;
}

/** A policy revision an approval (or undo) produced; the sandbox loads it shortly after. */
export interface DraftApprovalResult {
  /** The new policy version; 0 when nothing was approved. */
  version: number;
  policyHash: string;
  /**
   * `pending` without `wait`; with it `loaded`, or `superseded` when a newer revision replaced this
   * one first; `unchanged` when nothing was approved (no revision was stored).
   */
  status: PolicyRevisionStatus | "unchanged";
}

const dateOrUndefined = (ms: bigint): Date | undefined => (ms > 0n ? new Date(Number(ms)) : undefined);

export function toDraftChunk(c: PolicyChunk): DraftChunk {
  return {
    id: c.id,
    status: c.status,
    ruleName: c.ruleName,
    proposedRule: c.proposedRule,
    rationale: c.rationale,
    securityNotes: c.securityNotes,
    confidence: c.confidence,
    binary: c.binary,
    hitCount: c.hitCount,
    reviewToken: c.reviewToken,
    rejectionReason: c.rejectionReason,
    createdAt: new Date(Number(c.createdAtMs)),
    decidedAt: dateOrUndefined(c.decidedAtMs),
    currentPolicy: c.currentEffectivePolicy,
    candidatePolicy: c.candidateEffectivePolicy,
    message: c,
  };
}

export function toDraftPolicy(res: GetDraftPolicyResponse): DraftPolicy {
  return {
    chunks: res.chunks.map(toDraftChunk),
    rollingSummary: res.rollingSummary,
    draftVersion: res.draftVersion,
    lastAnalyzedAt: dateOrUndefined(res.lastAnalyzedAtMs),
  };
}

export function toDraftHistoryEvent(e: DraftHistoryEntry): DraftHistoryEvent {
  return {
    at: new Date(Number(e.timestampMs)),
    type: e.eventType,
    description: e.description,
    chunkId: e.chunkId,
  };
}
