import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { PolicyStatus, type SandboxPolicyRevision } from "../../gen/openshell/v1/openshell_pb.js";

/**
 * Where a policy revision is in its life: `pending` until the sandbox's supervisor picks it up,
 * then `loaded` or `failed`; `superseded` once a newer revision replaced it before it loaded.
 */
export type PolicyRevisionStatus = "pending" | "loaded" | "failed" | "superseded" | "unspecified";

const statusNames: Record<PolicyStatus, PolicyRevisionStatus> = {
  [PolicyStatus.UNSPECIFIED]: "unspecified",
  [PolicyStatus.PENDING]: "pending",
  [PolicyStatus.LOADED]: "loaded",
  [PolicyStatus.FAILED]: "failed",
  [PolicyStatus.SUPERSEDED]: "superseded",
};

/** The SDK's name of a PolicyStatus; values a newer gateway adds read as `unspecified`. */
export function policyStatusName(status: PolicyStatus): PolicyRevisionStatus {
  return statusNames[status] ?? "unspecified";
}

/** One revision of a sandbox's policy, as the gateway records it. */
export interface PolicyRevisionInfo {
  /** Revision number; increases with every update of the sandbox's policy. */
  version: number;
  /** Hash of the policy's content; equal hashes mean equal policies. */
  policyHash: string;
  status: PolicyRevisionStatus;
  /** Why the sandbox could not load it, when `status` is `failed`. */
  loadError?: string;
  createdAt: Date;
  /** When the sandbox loaded it, once it did. */
  loadedAt?: Date;
  /** The full policy of this revision, when the gateway sent it. */
  policy?: SandboxPolicy;
}

/** Curates a SandboxPolicyRevision message. */
export function toPolicyRevisionInfo(message: SandboxPolicyRevision): PolicyRevisionInfo {
  const info: PolicyRevisionInfo = {
    version: message.version,
    policyHash: message.policyHash,
    status: policyStatusName(message.status),
    createdAt: new Date(Number(message.createdAtMs)),
  };
  // Absent fields stay absent rather than "" or the epoch, so `if (rev.loadedAt)` means what it says.
  if (message.loadError) info.loadError = message.loadError;
  if (message.loadedAtMs > 0n) info.loadedAt = new Date(Number(message.loadedAtMs));
  if (message.policy) info.policy = message.policy;
  return info;
}
