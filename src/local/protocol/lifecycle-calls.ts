import { SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";
import { failedPrecondition } from "./gateway-errors.js";

/**
 * The phases StopSandbox and StartSandbox accept. STOPPING is accepted so that a repeated stop is not
 * an error; ERROR stays until an explicit lifecycle call, and start is that call.
 */
const ACCEPTED = {
  stop: [SandboxPhase.READY, SandboxPhase.STOPPING],
  start: [SandboxPhase.STOPPED, SandboxPhase.ERROR],
} as const satisfies Record<string, readonly SandboxPhase[]>;

const DONE = { stop: "stopped", start: "started" } as const;

/**
 * @throws ConnectError FAILED_PRECONDITION naming the sandbox's phase and the ones `call` accepts,
 *   e.g. `sandbox "a" is STOPPED; only a READY or STOPPING sandbox can be stopped`.
 */
export function checkLifecycleCall(
  call: keyof typeof ACCEPTED,
  sandbox: { name: string; phase: SandboxPhase },
): void {
  const accepted: readonly SandboxPhase[] = ACCEPTED[call];
  if (accepted.includes(sandbox.phase)) return;
  const names = accepted.map((phase) => SandboxPhase[phase]).join(" or ");
  throw failedPrecondition(
    `sandbox "${sandbox.name}" is ${SandboxPhase[sandbox.phase]}; only a ${names} sandbox can be ${DONE[call]}`,
  );
}
