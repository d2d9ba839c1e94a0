import { clone, create, isMessage } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "../../errors.js";
import {
  type NetworkPolicyRule,
  NetworkPolicyRuleSchema,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { NetworkPolicyRuleInit } from "../policy/policy-options.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { sandboxNameSchema, workspaceSchema } from "../validation/common-schemas.js";
import {
  type DraftApprovalResult,
  type DraftChunk,
  type DraftHistoryEvent,
  type DraftPolicy,
  toDraftHistoryEvent,
  toDraftPolicy,
} from "./draft-chunk.js";
import {
  type ApproveAllDraftOptions,
  type ApproveAllDraftResult,
  approveAllDraftSchema,
  chunkIdSchema,
  type DraftChunkRef,
  type DraftRevisionOptions,
  defaultDraftWatchIntervalMs,
  type GetDraftOptions,
  getDraftSchema,
  type RejectDraftOptions,
  rejectDraftSchema,
  reviewTokenSchema,
  revisionOptionsSchema,
  type WatchDraftOptions,
  watchDraftSchema,
} from "./draft-options.js";
import { settleRevision } from "./draft-revision-wait.js";
import { watchDraftChunks } from "./watch-drafts.js";

/**
 * `os.policy.drafts`: the policy advisor. The sandbox's supervisor turns denied connections into
 * proposed network rules (draft chunks); you review them here. Approving one stores a new policy
 * revision that the sandbox loads while it runs.
 *
 * ```ts
 * for await (const chunk of os.policy.drafts.watch("my-sandbox", { signal })) {
 *   if (chunk.securityNotes === "") await os.policy.drafts.approve("my-sandbox", chunk);
 * }
 * ```
 */
export class DraftPolicyService {
  /** @internal */
  constructor(private readonly calls: GatewayCalls) {}

  /**
   * The sandbox's draft: its chunks, each with the review token approving it needs.
   * @throws NotFoundError when there is no such sandbox.
   */
  async get(sandboxName: string, options: GetDraftOptions = {}): Promise<DraftPolicy> {
    const name = checkName(sandboxName);
    const o = validate(getDraftSchema, options, "draft options");
    const res = await this.calls.unary(`get draft policy of sandbox "${name}"`, options, (co) =>
      this.calls.openshell.getDraftPolicy(
        { name, statusFilter: o.status ?? "", workspace: this.calls.ws(o) },
        co,
      ),
    );
    return toDraftPolicy(res);
  }

  /**
   * Approves one pending chunk: its rule goes into the sandbox's policy as a new revision.
   * Pass the chunk as read by {@link get} (or its `id` and `reviewToken`). The revision starts
   * `pending`; pass `wait` to resolve once the sandbox loaded it.
   * @throws FailedPreconditionError when the review token is stale (the chunk or the policy
   *   changed since you read it: read the draft again and retry), the chunk is not pending, or a
   *   global policy is in force.
   * @throws InvalidArgumentError when `chunk.id` or `chunk.reviewToken` is missing.
   */
  async approve(
    sandboxName: string,
    chunk: DraftChunkRef,
    options: DraftRevisionOptions = {},
  ): Promise<DraftApprovalResult> {
    const name = checkName(sandboxName);
    const o = validate(revisionOptionsSchema, options, "approve options");
    const workspace = this.calls.ws(o);
    const chunkId = validate(chunkIdSchema, chunk?.id, "chunk.id", { field: "chunk.id" });
    const reviewToken = validate(reviewTokenSchema, chunk?.reviewToken, "chunk.reviewToken", {
      field: "chunk.reviewToken",
    });
    const res = await this.calls.unary(
      `approve draft chunk "${chunkId}" of sandbox "${name}"`,
      options,
      (co) => this.calls.openshell.approveDraftChunk({ name, chunkId, reviewToken, workspace }, co),
    );
    const stored = { version: res.policyVersion, policyHash: res.policyHash };
    return settleRevision(this.calls, name, workspace, stored, o.wait, options);
  }

  /**
   * Rejects a chunk; `reason` is shown to the agent. Rejecting an approved chunk also takes its
   * binary out of the rule (a new policy revision).
   * @throws NotFoundError when there is no such sandbox or chunk.
   */
  async reject(sandboxName: string, chunkId: string, options: RejectDraftOptions = {}): Promise<void> {
    const name = checkName(sandboxName);
    const id = checkChunkId(chunkId);
    const o = validate(rejectDraftSchema, options, "reject options");
    await this.calls.unary(`reject draft chunk "${id}" of sandbox "${name}"`, options, (co) =>
      this.calls.openshell.rejectDraftChunk(
        { name, chunkId: id, reason: o.reason ?? "", workspace: this.calls.ws(o) },
        co,
      ),
    );
  }

  /**
   * Approves many chunks in one new policy revision. Chunks without a (fresh) review token, with
   * security notes (unless `includeSecurityFlagged`) or in conflict are left pending and counted
   * in `skipped`.
   */
  async approveAll(
    sandboxName: string,
    options: ApproveAllDraftOptions = {},
  ): Promise<ApproveAllDraftResult> {
    const name = checkName(sandboxName);
    const o = validate(approveAllDraftSchema, options, "approveAll options");
    const workspace = this.calls.ws(o);
    const chunks =
      o.chunks ??
      (
        await this.get(name, {
          status: "pending",
          workspace: o.workspace,
          signal: options.signal,
          timeoutMs: options.timeoutMs,
        })
      ).chunks;
    const res = await this.calls.unary(`approve all draft chunks of sandbox "${name}"`, options, (co) =>
      this.calls.openshell.approveAllDraftChunks(
        {
          name,
          workspace,
          includeSecurityFlagged: o.includeSecurityFlagged ?? false,
          approvals: chunks.map((c) => ({ chunkId: c.id, reviewToken: c.reviewToken })),
        },
        co,
      ),
    );
    const stored = { version: res.policyVersion, policyHash: res.policyHash };
    return {
      ...(await settleRevision(this.calls, name, workspace, stored, o.wait, options)),
      approved: res.chunksApproved,
      skipped: res.chunksSkipped,
    };
  }

  /**
   * Replaces the proposed rule of a pending chunk (its review token changes: read it again before
   * approving).
   * @throws FailedPreconditionError when the chunk is not pending.
   * @throws InvalidArgumentError for a bad rule (field `rule`).
   */
  async edit(
    sandboxName: string,
    chunkId: string,
    rule: NetworkPolicyRuleInit,
    options?: WorkspaceOptions & RequestOptions,
  ): Promise<void> {
    const name = checkName(sandboxName);
    const id = checkChunkId(chunkId);
    const workspace = this.workspace(options);
    const proposedRule = buildRule(rule);
    await this.calls.unary(`edit draft chunk "${id}" of sandbox "${name}"`, options, (o) =>
      this.calls.openshell.editDraftChunk({ name, chunkId: id, proposedRule, workspace }, o),
    );
  }

  /**
   * Undoes the approval of a chunk: its binary leaves the rule (a new policy revision) and the chunk
   * is pending again.
   * @throws FailedPreconditionError when the chunk is not approved.
   */
  async undo(
    sandboxName: string,
    chunkId: string,
    options: DraftRevisionOptions = {},
  ): Promise<DraftApprovalResult> {
    const name = checkName(sandboxName);
    const id = checkChunkId(chunkId);
    const o = validate(revisionOptionsSchema, options, "undo options");
    const workspace = this.calls.ws(o);
    const res = await this.calls.unary(`undo draft chunk "${id}" of sandbox "${name}"`, options, (co) =>
      this.calls.openshell.undoDraftChunk({ name, chunkId: id, workspace }, co),
    );
    const stored = { version: res.policyVersion, policyHash: res.policyHash };
    return settleRevision(this.calls, name, workspace, stored, o.wait, options);
  }

  /** Drops the sandbox's pending chunks; resolves how many went. */
  async clear(sandboxName: string, options?: WorkspaceOptions & RequestOptions): Promise<number> {
    const name = checkName(sandboxName);
    const workspace = this.workspace(options);
    const res = await this.calls.unary(`clear draft chunks of sandbox "${name}"`, options, (o) =>
      this.calls.openshell.clearDraftChunks({ name, workspace }, o),
    );
    return res.chunksCleared;
  }

  /** What happened to the sandbox's draft chunks, oldest first. */
  async history(
    sandboxName: string,
    options?: WorkspaceOptions & RequestOptions,
  ): Promise<DraftHistoryEvent[]> {
    const name = checkName(sandboxName);
    const workspace = this.workspace(options);
    const res = await this.calls.unary(`get draft history of sandbox "${name}"`, options, (o) =>
      this.calls.openshell.getDraftHistory({ name, workspace }, o),
    );
    return res.entries.map(toDraftHistoryEvent);
  }

  /**
   * New pending chunks as they appear. The gateway pushes no draft events (SEMANTICS §13), so this
   * reads the draft every `intervalMs` and yields each chunk id it has not seen pending before.
   * Aborting `signal` (or breaking out of the loop) ends the iteration; a failed read throws.
   */
  watch(sandboxName: string, options: WatchDraftOptions = {}): AsyncGenerator<DraftChunk, void, undefined> {
    // Checked here, so a bad option throws at the call rather than at the first iteration.
    const name = checkName(sandboxName);
    const o = validate(watchDraftSchema, options, "watch options");
    const { signal, timeoutMs } = options;
    return watchDraftChunks(
      (s) => this.get(name, { status: "pending", workspace: o.workspace, signal: s, timeoutMs }),
      {
        intervalMs: o.intervalMs ?? defaultDraftWatchIntervalMs,
        includeExisting: o.includeExisting ?? false,
        signal,
      },
    );
  }

  private workspace(options?: WorkspaceOptions): string {
    return this.calls.ws({ workspace: validate(workspaceSchema, options?.workspace, "workspace") });
  }
}

function checkName(sandboxName: string): string {
  return validate(sandboxNameSchema, sandboxName, "sandbox name", { field: "sandbox" });
}

function checkChunkId(chunkId: string): string {
  return validate(chunkIdSchema, chunkId, "chunkId", { field: "chunkId" });
}

function buildRule(init: NetworkPolicyRuleInit): NetworkPolicyRule {
  try {
    return isMessage(init, NetworkPolicyRuleSchema)
      ? clone(NetworkPolicyRuleSchema, init)
      : create(NetworkPolicyRuleSchema, init);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidArgumentError(`invalid draft rule: ${reason}`, { field: "rule", cause: err });
  }
}
