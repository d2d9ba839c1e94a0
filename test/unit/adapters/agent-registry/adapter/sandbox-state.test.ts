import type { SandboxInfo } from "openshell";
import { describe, expect, it } from "vitest";
import { stateOf } from "../../../../../adapters/agent-registry/adapter/sandbox-monitor.js";

/** A sandbox snapshot as the client reports it, with the raw phase number the gateway sent. */
function info(phase: SandboxInfo["phase"], rawPhase: number, more: Partial<SandboxInfo> = {}): SandboxInfo {
  return {
    id: "id",
    name: "ar-x-12345678",
    workspace: "default",
    phase,
    labels: {},
    annotations: {},
    createdAt: new Date(0),
    resourceVersion: 1n,
    image: "img",
    command: [],
    exitCode: undefined,
    reason: undefined,
    message: undefined,
    conditions: [],
    currentPolicyVersion: 0,
    raw: { status: { phase: rawPhase } } as unknown as SandboxInfo["raw"],
    ...more,
  };
}

describe("what a sandbox snapshot means for a deployment", () => {
  it("READY is ready; PROVISIONING is still pending", () => {
    expect(stateOf(info("ready", 2)).kind).toBe("ready");
    expect(stateOf(info("provisioning", 1)).kind).toBe("pending");
  });

  it("COMPLETED (phase 9, newer gateways) is a main process that exited 0", () => {
    expect(stateOf(info("completed", 9, { exitCode: 0 }))).toMatchObject({
      kind: "exited",
      completed: true,
      exitCode: 0,
    });
  });

  it("ERROR with exit code 0 (older gateways) means completed too; another code is a crash", () => {
    expect(stateOf(info("error", 3, { exitCode: 0, reason: "MainProcessExited" }))).toMatchObject({
      kind: "exited",
      completed: true,
    });
    expect(stateOf(info("error", 3, { exitCode: 3, reason: "MainProcessExited" }))).toMatchObject({
      kind: "exited",
      completed: false,
      exitCode: 3,
    });
  });

  it("ERROR without an exit is a failed sandbox (an image that is not there, ...)", () => {
    expect(stateOf(info("error", 3, { reason: "ImageNotFound" })).kind).toBe("failed");
  });
});
