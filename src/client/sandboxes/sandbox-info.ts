import type { SandboxCondition, Sandbox as SandboxMessage } from "../../gen/openshell/v1/openshell_pb.js";
import { SandboxPhase as Phase } from "../../gen/openshell/v1/openshell_pb.js";

/** Lifecycle phase of a sandbox (the gateway's `SandboxPhase`, in lower case). */
export type SandboxPhase =
  | "unspecified"
  | "provisioning"
  | "ready"
  | "error"
  | "deleting"
  | "unknown"
  | "stopping"
  | "stopped"
  | "starting"
  | "completed";

const phaseNames: Record<Phase, SandboxPhase> = {
  [Phase.UNSPECIFIED]: "unspecified",
  [Phase.PROVISIONING]: "provisioning",
  [Phase.READY]: "ready",
  [Phase.ERROR]: "error",
  [Phase.DELETING]: "deleting",
  [Phase.UNKNOWN]: "unknown",
  [Phase.STOPPING]: "stopping",
  [Phase.STOPPED]: "stopped",
  [Phase.STARTING]: "starting",
  [Phase.COMPLETED]: "completed",
};

export function phaseName(phase: Phase): SandboxPhase {
  return phaseNames[phase] ?? "unknown";
}

/** One condition the gateway reports on a sandbox (Kubernetes style). */
export interface SandboxConditionInfo {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** A snapshot of a sandbox as the gateway last reported it. */
export interface SandboxInfo {
  /** The gateway's id (a UUID). */
  id: string;
  name: string;
  workspace: string;
  phase: SandboxPhase;
  /** Object labels (matched by `list({ labels })`). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: Date;
  /** Optimistic-concurrency version (a uint64, kept exact). */
  resourceVersion: bigint;
  image: string;
  command: string[];
  /** Exit code of the main process once it exited (128 + signal for signals). */
  exitCode: number | undefined;
  /**
   * Why the sandbox is not ready, from its Ready condition (`MainProcessCompleted`,
   * `MainProcessFailed`, on older gateways `MainProcessExited`, `ImagePullBackOff`, ...).
   */
  reason: string | undefined;
  /** Human-readable detail of `reason`. */
  message: string | undefined;
  conditions: SandboxConditionInfo[];
  /** Version of the policy the sandbox currently runs. */
  currentPolicyVersion: number;
  /**
   * The workload template the sandbox was created from (`sandboxes.create({ template })`) and the
   * template's `resourceVersion` at that moment, as the gateway records it (a string); undefined for
   * a sandbox created without one. The sandbox keeps what the template said then, even if the
   * template is deleted later.
   */
  template?: { name: string; resourceVersion: string } | undefined;
  /** The message as received, for fields the SDK does not surface yet. */
  raw: SandboxMessage;
}

export function toSandboxInfo(message: SandboxMessage): SandboxInfo {
  const meta = message.metadata;
  const status = message.status;
  const conditions = (status?.conditions ?? []).map(toConditionInfo);
  const ready = conditions.find((c) => c.type === "Ready");
  const notReady = ready && ready.status !== "True" ? ready : undefined;
  return {
    id: meta?.id ?? "",
    name: meta?.name ?? "",
    workspace: meta?.workspace || "default",
    phase: phaseName(status?.phase ?? Phase.UNSPECIFIED),
    labels: { ...(meta?.labels ?? {}) },
    annotations: { ...(meta?.annotations ?? {}) },
    createdAt: new Date(Number(meta?.createdAtMs ?? 0n)),
    resourceVersion: meta?.resourceVersion ?? 0n,
    image: message.spec?.template?.image ?? "",
    command: [...(message.spec?.command ?? [])],
    exitCode: status?.exitCode,
    reason: notReady?.reason || undefined,
    message: notReady?.message || undefined,
    conditions,
    currentPolicyVersion: status?.currentPolicyVersion ?? 0,
    template: message.createdFromWorkloadTemplate && {
      name: message.createdFromWorkloadTemplate.name,
      resourceVersion: message.createdFromWorkloadTemplate.resourceVersion,
    },
    raw: message,
  };
}

function toConditionInfo(c: SandboxCondition): SandboxConditionInfo {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: c.lastTransitionTime,
  };
}
