import { z } from "zod";
import type { PolicyWaitOptions } from "../policy/policy-options.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { workspaceSchema } from "../validation/common-schemas.js";
import type { DraftApprovalResult, DraftChunkStatus } from "./draft-chunk.js";

/** Options of {@link DraftPolicyService.get}. */
export interface GetDraftOptions extends WorkspaceOptions, RequestOptions {
  /** Only chunks in this status; omitted reads them all. */
  status?: DraftChunkStatus;
}

/** What approving needs: the chunk's id and the review token read with it. A {@link DraftChunk} fits. */
export interface DraftChunkRef {
  id: string;
  reviewToken: string;
}

/** Options of the calls that store a policy revision: approve, approveAll and undo. */
export interface DraftRevisionOptions extends WorkspaceOptions, RequestOptions {
  /**
   * Resolve only once the sandbox loaded the new revision (status `loaded`, or `superseded` when a
   * newer one replaced it first). A failed load throws `PolicyLoadError`; a slow one `TimeoutError`.
   */
  wait?: boolean | PolicyWaitOptions;
}

/** Options of {@link DraftPolicyService.reject}. */
export interface RejectDraftOptions extends WorkspaceOptions, RequestOptions {
  /** Why, in words the agent in the sandbox will see. */
  reason?: string;
}

/** Options of {@link DraftPolicyService.approveAll}. */
export interface ApproveAllDraftOptions extends DraftRevisionOptions {
  /**
   * The chunks to approve, each with its review token. Omitted: the pending chunks as read now
   * (one GetDraftPolicy call first), so only what you could have seen is approved.
   */
  chunks?: readonly DraftChunkRef[];
  /** Approve chunks with security notes too (skipped by default). */
  includeSecurityFlagged?: boolean;
}

/** Result of {@link DraftPolicyService.approveAll}. */
export interface ApproveAllDraftResult extends DraftApprovalResult {
  approved: number;
  /** Untokened, stale, security-flagged or conflicting chunks the gateway left pending. */
  skipped: number;
}

/** Options of {@link DraftPolicyService.watch}. */
export interface WatchDraftOptions extends WorkspaceOptions {
  /** Ends the iteration (quietly) when aborted. */
  signal?: AbortSignal;
  /** How often to ask the gateway, 100 to 60000 ms. Default 2000. */
  intervalMs?: number;
  /** Also yield the pending chunks that exist when watching starts. Default false. */
  includeExisting?: boolean;
  /** Time limit of each GetDraftPolicy call. */
  timeoutMs?: number;
}

export const defaultDraftWatchIntervalMs = 2000;

export const chunkIdSchema = z.string({ error: "must be a string" }).min(1, "must not be empty");

export const reviewTokenSchema = z
  .string({ error: "must be a string: read it from os.policy.drafts.get()" })
  .min(1, "must not be empty: read the chunk's reviewToken from os.policy.drafts.get()");

export const getDraftSchema = z.object({
  status: z.enum(["pending", "approved", "rejected"]).optional(),
  workspace: workspaceSchema,
});

export const watchDraftSchema = z.object({
  intervalMs: z
    .number()
    .int("must be an integer")
    .min(100, "must be 100 to 60000")
    .max(60_000, "must be 100 to 60000")
    .optional(),
  includeExisting: z.boolean().optional(),
  workspace: workspaceSchema,
});

export const rejectDraftSchema = z.object({ reason: z.string().optional(), workspace: workspaceSchema });

const positiveMs = z.number().int("must be an integer").positive("must be positive").max(2_147_483_647);

export const draftWaitSchema = z.object({
  timeoutMs: positiveMs.optional(),
  pollIntervalMs: positiveMs.optional(),
});

const waitSchema = z.union([z.boolean(), draftWaitSchema]).optional();

export const revisionOptionsSchema = z.object({ wait: waitSchema, workspace: workspaceSchema });

export const approveAllDraftSchema = z.object({
  wait: waitSchema,
  chunks: z.array(z.object({ id: chunkIdSchema, reviewToken: reviewTokenSchema })).optional(),
  includeSecurityFlagged: z.boolean().optional(),
  workspace: workspaceSchema,
});
