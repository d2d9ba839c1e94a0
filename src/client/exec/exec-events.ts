import type { ExecSandboxEvent } from "../../gen/openshell/v1/openshell_pb.js";

/** One event of a running command: a chunk of output, or its exit. Exit is always last. */
export type ExecEvent =
  | { type: "stdout"; data: Uint8Array }
  | { type: "stderr"; data: Uint8Array }
  | { type: "exit"; exitCode: number };

export function toExecEvent(event: ExecSandboxEvent): ExecEvent | undefined {
  const p = event.payload;
  switch (p.case) {
    case "stdout":
      return { type: "stdout", data: p.value.data };
    case "stderr":
      return { type: "stderr", data: p.value.data };
    case "exit":
      return { type: "exit", exitCode: p.value.exitCode };
    default:
      return undefined;
  }
}
