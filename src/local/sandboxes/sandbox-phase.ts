import { SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerInfo } from "../../runtime/container-info.js";

/** What the gateway was last asked to do with a sandbox; the container's state is read against it. */
export type SandboxIntent = "run" | "stop" | "start" | "delete";

export interface DerivedPhase {
  phase: SandboxPhase;
  /** Machine-readable reason for the Ready condition (`MainProcessFailed`, `ContainerMissing`, ...). */
  reason: string;
  message: string;
  /** Set when the main process has exited (128 + signal for signals). */
  exitCode?: number;
}

/**
 * A sandbox's phase, from its container (undefined: the container is gone) and the last lifecycle
 * call. The runtime is the source of truth: nothing here is remembered, so a restarted gateway
 * derives the same phase from the same container. ERROR and COMPLETED stay until an explicit
 * lifecycle call, because an exited container stays exited until then.
 */
export function deriveSandboxPhase(
  container: ContainerInfo | undefined,
  intent: SandboxIntent,
): DerivedPhase {
  if (intent === "delete")
    return { phase: SandboxPhase.DELETING, reason: "Deleting", message: "the sandbox is being deleted" };
  if (container === undefined) {
    return {
      phase: SandboxPhase.ERROR,
      reason: "ContainerMissing",
      message:
        "the sandbox's container no longer exists in the runtime (removed outside OpenShell?); delete the sandbox",
    };
  }
  switch (container.state) {
    case "created":
      return intent === "start"
        ? { phase: SandboxPhase.STARTING, reason: "Starting", message: "the container is starting" }
        : {
            phase: SandboxPhase.PROVISIONING,
            reason: "Provisioning",
            message: "the container is being started",
          };
    case "running":
      if (intent === "stop")
        return { phase: SandboxPhase.STOPPING, reason: "Stopping", message: "the container is stopping" };
      return { phase: SandboxPhase.READY, reason: "Running", message: "the main process is running" };
    case "stopping":
      return { phase: SandboxPhase.STOPPING, reason: "Stopping", message: "the container is stopping" };
    case "exited":
    case "dead": {
      if (intent === "stop")
        return { phase: SandboxPhase.STOPPED, reason: "Stopped", message: "the sandbox is stopped" };
      if (intent === "start" && container.exitCode === null) {
        return { phase: SandboxPhase.STARTING, reason: "Starting", message: "the container is starting" };
      }
      const exitCode = container.exitCode;
      if (exitCode === null) {
        // Apple `container` keeps no exit code: claiming 0 (COMPLETED) could hide a failure, and
        // any other number would be made up. The sandbox has ended either way.
        return {
          phase: SandboxPhase.ERROR,
          reason: "MainProcessExited",
          message:
            "the main process exited, and the runtime reports no exit codes (Apple container), so whether it succeeded is not known; read the sandbox's logs",
        };
      }
      // As upstream since PR #2884: an exit 0 completes the sandbox, any other code fails it.
      if (exitCode === 0 && !container.oomKilled) {
        return {
          phase: SandboxPhase.COMPLETED,
          reason: "MainProcessCompleted",
          message: "the main process exited with code 0",
          exitCode,
        };
      }
      const oom = container.oomKilled ? " after running out of memory (raise resources.limits.memory)" : "";
      return {
        phase: SandboxPhase.ERROR,
        reason: "MainProcessFailed",
        message: `the main process exited with code ${exitCode}${oom}`,
        exitCode,
      };
    }
    case "removing":
      return { phase: SandboxPhase.DELETING, reason: "Deleting", message: "the container is being removed" };
    case "paused":
    case "restarting":
      return {
        phase: SandboxPhase.ERROR,
        reason: container.state === "paused" ? "ContainerPaused" : "ContainerRestarting",
        message: `the container is ${container.state}, which OpenShell does not do: something outside it changed the container`,
      };
    default:
      return {
        phase: SandboxPhase.UNKNOWN,
        reason: "Unknown",
        message: "the runtime reports an unknown container state",
      };
  }
}
