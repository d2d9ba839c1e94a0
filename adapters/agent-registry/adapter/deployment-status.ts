import type { ModelAccessReason } from "../errors.js";
import type { AdapterApplyResult, AdapterRemoveResult } from "../resources/adapter-contract.js";
import { type Condition, type ConditionStatus, setCondition } from "../resources/condition.js";
import type { DeploymentStatus } from "./deployment-adapter.js";

/** The reasons this adapter reports. A program can switch on them; each comes with a message for a person. */
export type DeploymentReason =
  | "Deploying"
  | "CreatingSandbox"
  | "WaitingForSandbox"
  | "WaitingForAgent"
  | "AgentAnswering"
  | "Deployed"
  | "Removing"
  | "Removed"
  | "ImageNotFound"
  | "CommandRequired"
  | "MainProcessExited"
  | "MainProcessCompleted"
  | "ReadinessTimeout"
  | ModelAccessReason
  | "GatewayUnreachable"
  | "SandboxFailed"
  | "SandboxDeleted"
  | "DeployFailed";

function put(
  conditions: Condition[],
  type: Condition["type"],
  status: ConditionStatus,
  reason: string,
  message: string,
) {
  return setCondition(conditions, { type: type as "Ready", status, reason, message });
}

/** The conditions of a deploy under way: `Progressing=True`, `Ready=False`, `Degraded=False`. */
export function progressing(conditions: Condition[], reason: DeploymentReason, message: string): Condition[] {
  let next = put(conditions, "Progressing", "True", reason, message);
  next = put(next, "Ready", "False", reason, message);
  return put(next, "Degraded", "False", reason, message);
}

/** The conditions of a deployment whose agent answers: `Ready=True`, `Progressing=False`, `Degraded=False`. */
export function ready(conditions: Condition[], message: string): Condition[] {
  let next = put(conditions, "Ready", "True", "AgentAnswering", message);
  next = put(next, "Progressing", "False", "Deployed", message);
  return put(next, "Degraded", "False", "AgentAnswering", message);
}

/** The conditions of a failed deployment: `Degraded=True` with the reason, `Ready=False`, `Progressing=False`. */
export function degraded(conditions: Condition[], reason: DeploymentReason, message: string): Condition[] {
  let next = put(conditions, "Degraded", "True", reason, message);
  next = put(next, "Ready", "False", reason, message);
  return put(next, "Progressing", "False", reason, message);
}

/** The conditions of a removed deployment: `Ready=False` reason `Removed`, nothing progressing or degraded. */
export function removed(conditions: Condition[], message: string): Condition[] {
  let next = put(conditions, "Ready", "False", "Removed", message);
  next = put(next, "Progressing", "False", "Removed", message);
  return put(next, "Degraded", "False", "Removed", message);
}

/** True when the status is a failure (`Degraded=True`). */
export function isDegraded(status: DeploymentStatus): boolean {
  return status.conditions.some((c) => c.type === "Degraded" && c.status === "True");
}

/** True when the status says the agent answers (`Ready=True`). */
export function isReady(status: DeploymentStatus): boolean {
  return status.conditions.some((c) => c.type === "Ready" && c.status === "True");
}

/** A status as `apply` answers it, with the details of the sandbox. */
export function applyResult(status: DeploymentStatus, details: Record<string, unknown>): AdapterApplyResult {
  return {
    conditions: status.conditions.map((c) => ({ ...c })),
    runtimeMetadata: { ...status.runtimeMetadata },
    details: { ...details },
  };
}

/** A status as `remove` answers it. */
export function removeResult(conditions: Condition[]): AdapterRemoveResult {
  return { conditions: conditions.map((c) => ({ ...c })) };
}
