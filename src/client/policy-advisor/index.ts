/** Public surface of `os.policy.drafts`, for the package entry point to re-export. */
export type {
  DraftApprovalResult,
  DraftChunk,
  DraftChunkStatus,
  DraftHistoryEvent,
  DraftPolicy,
} from "./draft-chunk.js";
export type {
  ApproveAllDraftOptions,
  ApproveAllDraftResult,
  DraftChunkRef,
  DraftRevisionOptions,
  GetDraftOptions,
  RejectDraftOptions,
  WatchDraftOptions,
} from "./draft-options.js";
export type { DraftPolicyService } from "./draft-policy-service.js";
