import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type SandboxPolicy, SandboxPolicySchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type { OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import {
  reviewToken,
  storedRule,
  toPolicyChunk,
  withChunkRule,
  withoutChunkRule,
} from "../drafts/draft-chunk-view.js";
import type { DraftStore, StoredDraftChunk } from "../drafts/draft-store.js";
import { failedPrecondition, invalidArgument, notFound } from "../protocol/gateway-errors.js";
import type { PolicyRepository } from "../protocol/policy-service.js";
import { sandboxByName } from "../protocol/sandbox-lookup.js";
import type { SandboxDirectory, SandboxView } from "../sandboxes/sandbox-directory.js";
import type { PolicyLoader } from "./policy-handlers.js";

/** What the policy advisor calls of the local gateway work with. */
export interface DraftPolicyDeps {
  sandboxes: SandboxDirectory;
  drafts: DraftStore;
  /** Where approvals store their revisions: the same store and loader UpdateConfig uses. */
  policies: PolicyRepository;
  /** Throws when the gateway cannot enforce a policy (an edited rule is checked with it). */
  loadPolicy?: PolicyLoader;
  /** A sandbox's draft changed: its `follow_status` watchers get the sandbox again. */
  onDraftChanged?: (sandboxId: string) => void;
  now?: () => number;
}

/**
 * GetDraftPolicy, ApproveDraftChunk, RejectDraftChunk, ApproveAllDraftChunks, EditDraftChunk,
 * UndoDraftChunk, ClearDraftChunks and GetDraftHistory (SEMANTICS §13) over local mode's drafts,
 * which the egress proxy's denials fill. An approval (or an undo) is a new policy revision stored
 * and loaded as UpdateConfig's are, so the running sandbox's next connection sees it.
 */
export function draftPolicyHandlers({
  sandboxes,
  drafts,
  policies,
  loadPolicy = () => undefined,
  onDraftChanged = () => undefined,
  now = Date.now,
}: DraftPolicyDeps): Partial<ServiceImpl<typeof OpenShell>> {
  /** The newest revision's policy, which a change builds on (as UpdateConfig does), and its hash. */
  const current = (sandbox: SandboxView): { policy: SandboxPolicy; hash: string } => {
    const [latest] = policies.revisions(sandbox);
    return { policy: latest?.policy ?? create(SandboxPolicySchema), hash: latest?.policyHash ?? "" };
  };
  const chunkOf = (sandbox: SandboxView, chunkId: string): StoredDraftChunk => {
    if (chunkId === "") throw invalidArgument("chunk_id is required: take it from GetDraftPolicy");
    const chunk = drafts.chunk(sandbox.id, chunkId);
    if (chunk === undefined) {
      throw notFound(
        `draft chunk "${chunkId}" not found for sandbox "${sandbox.name}": list its chunks with GetDraftPolicy`,
      );
    }
    return chunk;
  };
  const pendingOnly = (chunk: StoredDraftChunk, what: string) => {
    if (chunk.status !== "pending") {
      throw failedPrecondition(
        `draft chunk "${chunk.id}" is ${chunk.status}; only pending chunks can be ${what}`,
      );
    }
  };
  /**
   * Stores `policy` as the sandbox's next revision, as UpdateConfig does: loaded into the running
   * proxy, the resource version bumped and watchers told.
   */
  const storeRevision = (sandbox: SandboxView, policy: SandboxPolicy) => {
    const revision = policies.record(sandbox, policy);
    sandboxes.updateSpec(sandbox.id, () => undefined);
    return { policyVersion: revision.version, policyHash: revision.policyHash };
  };
  const refuseUnenforceable = (policy: SandboxPolicy, chunk: StoredDraftChunk) => {
    try {
      loadPolicy(policy);
    } catch (error) {
      throw failedPrecondition(
        `draft chunk "${chunk.id}" cannot be approved: its rule cannot be enforced in local mode ` +
          `(${(error as Error).message}); edit the chunk's rule and approve it again`,
      );
    }
  };
  const decided = (chunk: StoredDraftChunk, status: StoredDraftChunk["status"]): StoredDraftChunk => ({
    ...chunk,
    status,
    decidedAtMs: status === "pending" ? 0 : now(),
  });

  return {
    async getDraftPolicy(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      const policy = current(sandbox);
      const all = drafts.chunks(sandbox.id);
      const chunks = all
        .filter((c) => req.statusFilter === "" || c.status === req.statusFilter)
        .map((c) => toPolicyChunk(c, policy));
      const count = (status: string) => all.filter((c) => c.status === status).length;
      const log = drafts.log(sandbox.id);
      return {
        chunks,
        rollingSummary: `${count("pending")} pending, ${count("approved")} approved, ${count("rejected")} rejected`,
        draftVersion: BigInt(log.version),
        lastAnalyzedAtMs: BigInt(log.lastDenialMs),
      };
    },

    async approveDraftChunk(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      const chunk = chunkOf(sandbox, req.chunkId);
      pendingOnly(chunk, "approved");
      const { policy, hash } = current(sandbox);
      if (req.reviewToken === "") {
        throw failedPrecondition(
          `review_token is required to approve draft chunk "${chunk.id}": read the chunk with GetDraftPolicy and pass its review_token`,
        );
      }
      if (req.reviewToken !== reviewToken(chunk, hash)) {
        throw failedPrecondition(
          `review token of draft chunk "${chunk.id}" is stale (the chunk or the sandbox's policy changed since it was read): fetch the draft again with GetDraftPolicy and retry`,
        );
      }
      const next = withChunkRule(policy, chunk);
      refuseUnenforceable(next, chunk);
      const result = storeRevision(sandbox, next);
      drafts.change(sandbox.id, [
        {
          chunkId: chunk.id,
          chunk: decided(chunk, "approved"),
          event: "approved",
          description: `rule "${chunk.ruleName}" approved into policy version ${result.policyVersion}`,
        },
      ]);
      onDraftChanged(sandbox.id);
      return result;
    },

    async approveAllDraftChunks(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      const { policy, hash } = current(sandbox);
      const tokens = new Map(req.approvals.map((a) => [a.chunkId, a.reviewToken]));
      let next = policy;
      const approved: StoredDraftChunk[] = [];
      let skipped = 0;
      for (const chunk of drafts.chunks(sandbox.id)) {
        if (chunk.status !== "pending") continue;
        const token = tokens.get(chunk.id);
        // Untokened or stale chunks are counted, not approved (SEMANTICS §13); local mode flags none.
        if (token === undefined || token === "" || token !== reviewToken(chunk, hash)) {
          skipped += 1;
          continue;
        }
        const candidate = withChunkRule(next, chunk);
        try {
          loadPolicy(candidate);
        } catch {
          // One that cannot be enforced with the others is a conflicting chunk: skipped, the rest go in.
          skipped += 1;
          continue;
        }
        next = candidate;
        approved.push(chunk);
      }
      if (approved.length === 0) {
        return { policyVersion: 0, policyHash: "", chunksApproved: 0, chunksSkipped: skipped };
      }
      const result = storeRevision(sandbox, next);
      drafts.change(
        sandbox.id,
        approved.map((chunk) => ({
          chunkId: chunk.id,
          chunk: decided(chunk, "approved"),
          event: "approved",
          description: `rule "${chunk.ruleName}" approved into policy version ${result.policyVersion}`,
        })),
      );
      onDraftChanged(sandbox.id);
      return { ...result, chunksApproved: approved.length, chunksSkipped: skipped };
    },

    async rejectDraftChunk(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      const chunk = chunkOf(sandbox, req.chunkId);
      if (chunk.status === "rejected") {
        throw failedPrecondition(`draft chunk "${chunk.id}" is already rejected`);
      }
      // Rejecting an approved chunk takes its rule back out, as a new revision.
      const revision =
        chunk.status === "approved"
          ? storeRevision(sandbox, withoutChunkRule(current(sandbox).policy, chunk))
          : undefined;
      drafts.change(sandbox.id, [
        {
          chunkId: chunk.id,
          chunk: { ...decided(chunk, "rejected"), rejectionReason: req.reason },
          event: "rejected",
          description:
            (req.reason === ""
              ? `rule "${chunk.ruleName}" rejected`
              : `rule "${chunk.ruleName}" rejected: ${req.reason}`) +
            (revision === undefined ? "" : `; removed in policy version ${revision.policyVersion}`),
        },
      ]);
      onDraftChanged(sandbox.id);
      return {};
    },

    async editDraftChunk(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      const chunk = chunkOf(sandbox, req.chunkId);
      pendingOnly(chunk, "edited");
      if (req.proposedRule === undefined) throw invalidArgument("proposed_rule is required");
      if (req.proposedRule.endpoints.length === 0) {
        throw invalidArgument("proposed_rule.endpoints: a rule needs at least one endpoint");
      }
      const edited: StoredDraftChunk = { ...chunk, rule: storedRule(req.proposedRule), edited: true };
      try {
        loadPolicy(withChunkRule(create(SandboxPolicySchema), edited));
      } catch (error) {
        throw invalidArgument(`proposed_rule cannot be enforced in local mode: ${(error as Error).message}`);
      }
      drafts.change(sandbox.id, [
        { chunkId: chunk.id, chunk: edited, event: "edited", description: `rule "${chunk.ruleName}" edited` },
      ]);
      onDraftChanged(sandbox.id);
      return {};
    },

    async undoDraftChunk(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      const chunk = chunkOf(sandbox, req.chunkId);
      if (chunk.status !== "approved") {
        throw failedPrecondition(
          `draft chunk "${chunk.id}" is ${chunk.status}; only approved chunks can be undone`,
        );
      }
      const result = storeRevision(sandbox, withoutChunkRule(current(sandbox).policy, chunk));
      drafts.change(sandbox.id, [
        {
          chunkId: chunk.id,
          chunk: decided(chunk, "pending"),
          event: "undone",
          description: `approval of rule "${chunk.ruleName}" undone in policy version ${result.policyVersion}`,
        },
      ]);
      onDraftChanged(sandbox.id);
      return result;
    },

    async clearDraftChunks(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      const pending = drafts.chunks(sandbox.id).filter((c) => c.status === "pending");
      drafts.change(
        sandbox.id,
        pending.map((c) => ({
          chunkId: c.id,
          chunk: undefined,
          event: "cleared",
          description: `pending rule "${c.ruleName}" cleared`,
        })),
      );
      if (pending.length > 0) onDraftChanged(sandbox.id);
      return { chunksCleared: pending.length };
    },

    async getDraftHistory(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      return {
        entries: drafts.log(sandbox.id).history.map((e) => ({
          timestampMs: BigInt(e.timestampMs),
          eventType: e.eventType,
          description: e.description,
          chunkId: e.chunkId,
        })),
      };
    },
  };
}
