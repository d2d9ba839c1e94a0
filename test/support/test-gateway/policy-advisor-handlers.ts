import { createHash, randomUUID } from "node:crypto";
import { clone, create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type NetworkPolicyRule,
  NetworkPolicyRuleSchema,
  type SandboxPolicy,
  SandboxPolicySchema,
} from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  type DraftHistoryEntry,
  DraftHistoryEntrySchema,
  type PolicyChunk,
  PolicyChunkSchema,
} from "../../../src/gen/openshell/v1/policy_advisor_pb.js";
import { invalid } from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";
import { globalPolicyOf, managedGlobally } from "./global-policy.js";
import { addRevision } from "./policy-revisions.js";
import type { SandboxRecord } from "./sandbox-record.js";

/** One sandbox's draft: its chunks (in proposal order), history, and a version bumped on change. */
interface Draft {
  chunks: Map<string, PolicyChunk>;
  history: DraftHistoryEntry[];
  version: bigint;
}

const failed = (message: string) => new ConnectError(message, Code.FailedPrecondition);

function currentPolicy(record: SandboxRecord): { policy: SandboxPolicy; hash: string } {
  const latest = record.revisions[record.revisions.length - 1];
  return {
    policy: clone(SandboxPolicySchema, latest?.policy ?? create(SandboxPolicySchema)),
    hash: latest?.policyHash ?? "",
  };
}

/**
 * The review token binds a reader's view: the chunk's content and status and the policy it was
 * reviewed against. Any change to either (an edit, another approval) makes earlier tokens stale.
 */
function reviewToken(chunk: PolicyChunk, policyHash: string): string {
  const rule = chunk.proposedRule ? toBinary(NetworkPolicyRuleSchema, chunk.proposedRule) : new Uint8Array();
  return createHash("sha256")
    .update(`${chunk.id}\0${chunk.status}\0${chunk.binary}\0${policyHash}\0`)
    .update(rule)
    .digest("hex")
    .slice(0, 32);
}

/** Adds the chunk's rule to the policy, merging endpoints and binaries into a rule of that name. */
function withRule(policy: SandboxPolicy, chunk: PolicyChunk): SandboxPolicy {
  const proposed = chunk.proposedRule ?? create(NetworkPolicyRuleSchema, { name: chunk.ruleName });
  const existing = policy.networkPolicies[chunk.ruleName];
  if (!existing) {
    policy.networkPolicies[chunk.ruleName] = clone(NetworkPolicyRuleSchema, proposed);
    return policy;
  }
  const endpointKey = (e: { host: string; port: number }) => `${e.host}:${e.port}`;
  const haveEndpoints = new Set(existing.endpoints.map(endpointKey));
  for (const e of proposed.endpoints) if (!haveEndpoints.has(endpointKey(e))) existing.endpoints.push(e);
  const haveBinaries = new Set(existing.binaries.map((b) => b.path));
  for (const b of proposed.binaries) if (!haveBinaries.has(b.path)) existing.binaries.push(b);
  return policy;
}

/** Takes the chunk's binary out of its rule (SEMANTICS §13); a rule left without binaries goes. */
function withoutBinary(policy: SandboxPolicy, chunk: PolicyChunk): SandboxPolicy {
  const rule: NetworkPolicyRule | undefined = policy.networkPolicies[chunk.ruleName];
  if (!rule) return policy;
  const binaries = chunk.proposedRule?.binaries.map((b) => b.path) ?? [chunk.binary];
  rule.binaries = rule.binaries.filter((b) => !binaries.includes(b.path));
  if (rule.binaries.length === 0) delete policy.networkPolicies[chunk.ruleName];
  return policy;
}

/**
 * The policy advisor RPCs as SEMANTICS §13 describes them, over the test gateway's sandboxes.
 * Tests seed drafts the way the supervisor does, with SubmitPolicyAnalysis; approvals store a new
 * policy revision that loads a moment later, like an UpdateConfig.
 */
export function policyAdvisorHandlers(state: GatewayState): Partial<ServiceImpl<typeof OpenShell>> {
  const drafts = new Map<string, Draft>();
  const draftOf = (record: SandboxRecord): Draft => {
    let draft = drafts.get(record.id);
    if (!draft) {
      draft = { chunks: new Map(), history: [], version: 0n };
      drafts.set(record.id, draft);
    }
    return draft;
  };
  const note = (draft: Draft, eventType: string, chunk: PolicyChunk, description: string) => {
    draft.version += 1n;
    draft.history.push(
      create(DraftHistoryEntrySchema, {
        timestampMs: BigInt(Date.now()),
        eventType,
        description,
        chunkId: chunk.id,
      }),
    );
  };
  const chunkOf = (draft: Draft, record: SandboxRecord, id: string): PolicyChunk => {
    if (id === "") throw invalid("chunk_id is required");
    const chunk = draft.chunks.get(id);
    if (!chunk) {
      throw new ConnectError(`draft chunk "${id}" not found for sandbox "${record.name}"`, Code.NotFound);
    }
    return chunk;
  };
  const pendingOnly = (chunk: PolicyChunk, what: string) => {
    if (chunk.status !== "pending") {
      throw failed(`draft chunk "${chunk.id}" is ${chunk.status}; only pending chunks can be ${what}`);
    }
  };
  const decide = (chunk: PolicyChunk, status: string) => {
    chunk.status = status;
    chunk.decidedAtMs = BigInt(Date.now());
  };
  const store = (record: SandboxRecord, policy: SandboxPolicy) => {
    const revision = addRevision(state, record, policy);
    return { policyVersion: revision.version, policyHash: revision.policyHash };
  };

  return {
    submitPolicyAnalysis(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      const draft = draftOf(record);
      const acceptedChunkIds: string[] = [];
      const rejectionReasons: string[] = [];
      for (const proposed of req.proposedChunks) {
        if (proposed.ruleName === "") {
          rejectionReasons.push("rule_name is required");
          continue;
        }
        // One chunk per rule and binary: a repeat proposal counts as another hit.
        const same = [...draft.chunks.values()].find(
          (c) => c.status === "pending" && c.ruleName === proposed.ruleName && c.binary === proposed.binary,
        );
        if (same) {
          same.hitCount += Math.max(1, proposed.hitCount);
          same.lastSeenMs = BigInt(Date.now());
          draft.version += 1n;
          acceptedChunkIds.push(same.id);
          continue;
        }
        const now = BigInt(Date.now());
        const chunk = create(PolicyChunkSchema, {
          ...clone(PolicyChunkSchema, proposed),
          id: randomUUID(),
          status: "pending",
          hitCount: Math.max(1, proposed.hitCount),
          createdAtMs: now,
          firstSeenMs: now,
          lastSeenMs: now,
          decidedAtMs: 0n,
          reviewToken: "",
        });
        draft.chunks.set(chunk.id, chunk);
        note(
          draft,
          "proposed",
          chunk,
          `rule "${chunk.ruleName}" proposed for ${chunk.binary || "any binary"}`,
        );
        acceptedChunkIds.push(chunk.id);
      }
      return {
        acceptedChunks: acceptedChunkIds.length,
        rejectedChunks: rejectionReasons.length,
        rejectionReasons,
        acceptedChunkIds,
      };
    },
    getDraftPolicy(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      const draft = draftOf(record);
      const { policy, hash } = currentPolicy(record);
      const chunks = [...draft.chunks.values()]
        .filter((c) => req.statusFilter === "" || c.status === req.statusFilter)
        .map((c) => {
          const out = clone(PolicyChunkSchema, c);
          out.reviewToken = reviewToken(c, hash);
          out.currentEffectivePolicyHash = hash;
          out.currentEffectivePolicy = policy;
          out.candidateEffectivePolicy = withRule(clone(SandboxPolicySchema, policy), c);
          return out;
        });
      return { chunks, rollingSummary: `${chunks.length} chunk(s)`, draftVersion: draft.version };
    },
    approveDraftChunk(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      if (globalPolicyOf(state).active()) throw managedGlobally("approve");
      const draft = draftOf(record);
      const chunk = chunkOf(draft, record, req.chunkId);
      pendingOnly(chunk, "approved");
      // As upstream: a missing token is one that does not match the chunk read (FAILED_PRECONDITION).
      if (req.reviewToken === "") throw failed("review_token is required: read it from GetDraftPolicy");
      const { policy, hash } = currentPolicy(record);
      if (req.reviewToken !== reviewToken(chunk, hash)) {
        throw failed(`review token of draft chunk "${chunk.id}" is stale: fetch the draft again and retry`);
      }
      const result = store(record, withRule(policy, chunk));
      decide(chunk, "approved");
      note(draft, "approved", chunk, `approved into policy version ${result.policyVersion}`);
      return result;
    },
    rejectDraftChunk(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      const draft = draftOf(record);
      const chunk = chunkOf(draft, record, req.chunkId);
      if (chunk.status === "rejected") throw failed(`draft chunk "${chunk.id}" is already rejected`);
      if (chunk.status === "approved") store(record, withoutBinary(currentPolicy(record).policy, chunk));
      decide(chunk, "rejected");
      chunk.rejectionReason = req.reason;
      note(draft, "rejected", chunk, req.reason || "rejected");
      return {};
    },
    approveAllDraftChunks(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      if (globalPolicyOf(state).active()) throw managedGlobally("approve");
      const draft = draftOf(record);
      const { policy, hash } = currentPolicy(record);
      const tokens = new Map(req.approvals.map((a) => [a.chunkId, a.reviewToken]));
      const approved: PolicyChunk[] = [];
      let skipped = 0;
      for (const chunk of draft.chunks.values()) {
        if (chunk.status !== "pending") continue;
        const token = tokens.get(chunk.id);
        const flagged = chunk.securityNotes !== "" && !req.includeSecurityFlagged;
        // Untokened, stale, or flagged chunks are counted, not approved (SEMANTICS §13).
        if (!token || token !== reviewToken(chunk, hash) || flagged) {
          skipped += 1;
          continue;
        }
        withRule(policy, chunk);
        approved.push(chunk);
      }
      if (approved.length === 0) {
        return { policyVersion: 0, policyHash: "", chunksApproved: 0, chunksSkipped: skipped };
      }
      const result = store(record, policy);
      for (const chunk of approved) {
        decide(chunk, "approved");
        note(draft, "approved", chunk, `approved into policy version ${result.policyVersion}`);
      }
      return { ...result, chunksApproved: approved.length, chunksSkipped: skipped };
    },
    editDraftChunk(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      const draft = draftOf(record);
      const chunk = chunkOf(draft, record, req.chunkId);
      pendingOnly(chunk, "edited");
      if (!req.proposedRule) throw invalid("proposed_rule is required");
      chunk.proposedRule = clone(NetworkPolicyRuleSchema, req.proposedRule);
      note(draft, "edited", chunk, "proposed rule edited");
      return {};
    },
    undoDraftChunk(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      const draft = draftOf(record);
      const chunk = chunkOf(draft, record, req.chunkId);
      if (chunk.status !== "approved") {
        throw failed(`draft chunk "${chunk.id}" is ${chunk.status}; only approved chunks can be undone`);
      }
      const result = store(record, withoutBinary(currentPolicy(record).policy, chunk));
      chunk.status = "pending";
      chunk.decidedAtMs = 0n;
      note(draft, "undone", chunk, `approval undone in policy version ${result.policyVersion}`);
      return result;
    },
    clearDraftChunks(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      const draft = draftOf(record);
      let cleared = 0;
      for (const chunk of [...draft.chunks.values()]) {
        if (chunk.status !== "pending") continue;
        draft.chunks.delete(chunk.id);
        note(draft, "cleared", chunk, "pending chunk cleared");
        cleared += 1;
      }
      return { chunksCleared: cleared };
    },
    getDraftHistory(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      return { entries: draftOf(record).history };
    },
  };
}
