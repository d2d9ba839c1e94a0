import { create } from "@bufbuild/protobuf";
import { type ExecSandboxEvent, ExecSandboxEventSchema } from "../../gen/openshell/v1/openshell_pb.js";

/** Exit code of a command stopped at its timeout, as `timeout(1)` reports it (SEMANTICS.md section 4). */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * Output chunks queued towards the client before the command's output is no longer read, so a slow
 * client slows the command down instead of filling the gateway's memory.
 */
export const EXEC_OUTPUT_HIGH_WATER = 64;

/** A chunk of the command's output, as ExecSandbox streams it. */
export function outputEvent(stream: "stdout" | "stderr", data: Uint8Array): ExecSandboxEvent {
  return create(ExecSandboxEventSchema, { payload: { case: stream, value: { data } } });
}

/** The exec's last event: a stream without one is a failure, not a success (SEMANTICS.md section 4). */
export function exitEvent(exitCode: number): ExecSandboxEvent {
  return create(ExecSandboxEventSchema, { payload: { case: "exit", value: { exitCode } } });
}
