/**
 * Record kinds (see `RecordStore`) whose scope is a sandbox id: they belong to that sandbox and are
 * deleted with it, in the same transaction that marks it deleted.
 */
export const SANDBOX_SCOPED_RECORD_KINDS = {
  /** One proposed network rule of the sandbox's draft policy, named by chunk id. */
  draftChunk: "draft-chunk",
  /** The sandbox's draft version and history, one record named `draft`. */
  draftLog: "draft-log",
  /** How many lines of the sandbox container's log were read, for runtimes without log timestamps. */
  logCursor: "log-cursor",
  /** Which provider-environment revisions the sandbox's processes were given, per credential key. */
  credentialRevisions: "credential-revisions",
} as const;
