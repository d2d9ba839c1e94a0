import { describe, expect, it } from "vitest";
import { SandboxPhase } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { deriveSandboxPhase } from "../../../../src/local/sandboxes/sandbox-phase.js";
import type { ContainerInfo, ContainerState } from "../../../../src/runtime/container-info.js";

function container(state: ContainerState, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  const finished = state === "exited" || state === "dead";
  return {
    id: "c1",
    name: "openshell-default--web-1",
    image: "busybox",
    labels: {},
    state,
    running: state === "running",
    exitCode: finished ? 0 : null,
    oomKilled: false,
    startedAt: null,
    finishedAt: null,
    addresses: [],
    ports: [],
    ...extra,
  };
}

describe("deriveSandboxPhase", () => {
  it("follows a created sandbox: PROVISIONING, then READY while the main process runs", () => {
    expect(deriveSandboxPhase(container("created"), "run").phase).toBe(SandboxPhase.PROVISIONING);
    expect(deriveSandboxPhase(container("running"), "run")).toMatchObject({
      phase: SandboxPhase.READY,
      reason: "Running",
    });
  });

  it("is COMPLETED when the main process exits 0 and ERROR MainProcessFailed with any other code", () => {
    expect(deriveSandboxPhase(container("exited", { exitCode: 0 }), "run")).toMatchObject({
      phase: SandboxPhase.COMPLETED,
      reason: "MainProcessCompleted",
      exitCode: 0,
    });
    expect(deriveSandboxPhase(container("exited", { exitCode: 3 }), "run")).toMatchObject({
      phase: SandboxPhase.ERROR,
      reason: "MainProcessFailed",
      exitCode: 3,
    });
    const killed = deriveSandboxPhase(container("exited", { exitCode: 137, oomKilled: true }), "run");
    expect(killed).toMatchObject({ phase: SandboxPhase.ERROR, exitCode: 137 });
    expect(killed.message).toMatch(/out of memory/);
  });

  it("is ERROR MainProcessExited, with no made-up exit code, when the runtime reports none (Apple container)", () => {
    const ended = deriveSandboxPhase(container("exited", { exitCode: null }), "run");
    expect(ended).toEqual({
      phase: SandboxPhase.ERROR,
      reason: "MainProcessExited",
      message:
        "the main process exited, and the runtime reports no exit codes (Apple container), so whether it succeeded is not known; read the sandbox's logs",
    });
  });

  it("goes STOPPING then STOPPED on stop, and STARTING then READY on start", () => {
    expect(deriveSandboxPhase(container("running"), "stop").phase).toBe(SandboxPhase.STOPPING);
    expect(deriveSandboxPhase(container("exited", { exitCode: 143 }), "stop").phase).toBe(
      SandboxPhase.STOPPED,
    );
    expect(deriveSandboxPhase(container("created"), "start").phase).toBe(SandboxPhase.STARTING);
    expect(deriveSandboxPhase(container("running"), "start").phase).toBe(SandboxPhase.READY);
  });

  it("is DELETING once deletion is asked for or the container is being removed", () => {
    expect(deriveSandboxPhase(container("running"), "delete").phase).toBe(SandboxPhase.DELETING);
    expect(deriveSandboxPhase(undefined, "delete").phase).toBe(SandboxPhase.DELETING);
    expect(deriveSandboxPhase(container("removing"), "run").phase).toBe(SandboxPhase.DELETING);
  });

  it("is ERROR ContainerMissing when the container vanished, saying what to do", () => {
    const missing = deriveSandboxPhase(undefined, "run");
    expect(missing).toMatchObject({ phase: SandboxPhase.ERROR, reason: "ContainerMissing" });
    expect(missing.message).toMatch(/delete the sandbox/);
  });

  it("reports outside changes (paused, restarting) as ERROR and unknown states as UNKNOWN", () => {
    expect(deriveSandboxPhase(container("paused"), "run")).toMatchObject({
      phase: SandboxPhase.ERROR,
      reason: "ContainerPaused",
    });
    expect(deriveSandboxPhase(container("restarting"), "run").reason).toBe("ContainerRestarting");
    expect(deriveSandboxPhase(container("unknown"), "run").phase).toBe(SandboxPhase.UNKNOWN);
  });
});
