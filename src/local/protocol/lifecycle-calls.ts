import { SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";
import { failedPrecondition } from "./gateway-errors.js";

/**
 * The phases StopSandbox and StartSandbox accept. STOPPING is accepted so that a repeated stop is not
 * an error; ERROR and COMPLETED stay until an explicit lifecycle call, and start (which runs the
 * command again) is that call.
 */
const ACCEPTED = {
  stop: [SandboxPhase.READY, SandboxPhase.STOPPING],
  start: [SandboxPhase.STOPPED, SandboxPhase.ERROR, SandboxPhase.COMPLETED],
} as const satisfies Record<string, readonly SandboxPhase[]>;

/** A sandbox as a lifecycle call sees it; `exitCode` is set once its main process has exited. */
export interface LifecycleTarget {
  name: string;
  phase: SandboxPhase;
  exitCode?: number | undefined;
}

/**
 * True when StopSandbox has nothing to do and succeeds as it is (upstream since PR #2884): the
 * main process already finished (COMPLETED, or ERROR with its exit code), so nothing runs.
 */
export function stopIsNoOp(sandbox: LifecycleTarget): boolean {
  return (
    sandbox.phase === SandboxPhase.COMPLETED ||
    (sandbox.phase === SandboxPhase.ERROR && sandbox.exitCode !== undefined)
  );
}

const DONE = { stop: "stopped", start: "started" } as const;

/**
 * @throws ConnectError FAILED_PRECONDITION naming the sandbox's phase and the ones `call` accepts,
 *   e.g. `sandbox "a" is STOPPED; only a READY or STOPPING sandbox can be stopped`.
 */
export function checkLifecycleCall(call: keyof typeof ACCEPTED, sandbox: LifecycleTarget): void {
  const accepted: readonly SandboxPhase[] = ACCEPTED[call];
  if (accepted.includes(sandbox.phase)) return;
  const names = accepted.map((phase) => SandboxPhase[phase]).join(" or ");
  throw failedPrecondition(
    `sandbox "${sandbox.name}" is ${SandboxPhase[sandbox.phase]}; only a ${names} sandbox can be ${DONE[call]}`,
  );
}
