import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { buildExecRequest } from "../../../src/client/exec/exec-stream.js";
import { toSandboxInfo } from "../../../src/client/sandboxes/sandbox-info.js";
import { mainProcessResult } from "../../../src/client/sandboxes/sandbox-result.js";
import {
  ExecSandboxRequestSchema,
  SandboxPhase,
  SandboxSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";

/** A snapshot as a gateway sends it: phase, Ready condition and exit code. */
function snapshot(phase: SandboxPhase, reason: string, exitCode?: number) {
  return toSandboxInfo(
    create(SandboxSchema, {
      metadata: { id: "11111111-1111-4111-8111-111111111111", name: "job" },
      status: {
        phase,
        conditions: [{ type: "Ready", status: phase === SandboxPhase.READY ? "True" : "False", reason }],
        ...(exitCode === undefined ? {} : { exitCode }),
      },
    }),
  );
}

describe("the result of a main process", () => {
  it("is completed with exit code 0 for COMPLETED", () => {
    const info = snapshot(SandboxPhase.COMPLETED, "MainProcessCompleted", 0);
    expect(info.phase).toBe("completed");
    expect(mainProcessResult(info)).toMatchObject({
      exitCode: 0,
      phase: "completed",
      reason: "MainProcessCompleted",
    });
  });

  it("is completed for an older gateway's ERROR with exit code 0", () => {
    const info = snapshot(SandboxPhase.ERROR, "MainProcessExited", 0);
    expect(info.phase).toBe("error");
    expect(mainProcessResult(info)).toMatchObject({ exitCode: 0, phase: "completed" });
  });

  it("is error with the exit code for ERROR with a non-zero exit code", () => {
    expect(mainProcessResult(snapshot(SandboxPhase.ERROR, "MainProcessFailed", 3))).toMatchObject({
      exitCode: 3,
      phase: "error",
      reason: "MainProcessFailed",
    });
  });

  it("is none for ERROR without an exit code (an infrastructure failure) and for a running sandbox", () => {
    expect(mainProcessResult(snapshot(SandboxPhase.ERROR, "ImagePullBackOff"))).toBeUndefined();
    expect(mainProcessResult(snapshot(SandboxPhase.READY, "SupervisorConnected"))).toBeUndefined();
    expect(mainProcessResult(snapshot(SandboxPhase.STOPPED, "Stopped", 143))).toBeUndefined();
  });
});

describe("exec's noLoginShell", () => {
  it("is sent as ExecSandboxRequest.no_login_shell (field 10) when true, and left out by default", () => {
    const on = buildExecRequest("id", ["env"], { noLoginShell: true });
    expect(on.noLoginShell).toBe(true);
    // Field 10, varint: tag byte (10 << 3) | 0 = 0x50, then 1.
    const bytes = Buffer.from(toBinary(ExecSandboxRequestSchema, on));
    expect(bytes.includes(Buffer.from([0x50, 0x01]))).toBe(true);
    const off = buildExecRequest("id", ["env"], {});
    expect(off.noLoginShell).toBe(false);
    expect(Buffer.from(toBinary(ExecSandboxRequestSchema, off)).includes(Buffer.from([0x50]))).toBe(false);
  });
});
