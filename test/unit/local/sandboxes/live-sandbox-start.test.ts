import { describe, expect, it } from "vitest";
import { SandboxPhase } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { LiveSandbox, type StoredSandboxRecord } from "../../../../src/local/sandboxes/live-sandbox.js";
import type { ContainerInfo } from "../../../../src/runtime/container-info.js";

const REQUESTED = Date.parse("2026-01-01T10:00:00Z");

/** A sandbox whose start was asked for at REQUESTED, and its container as the runtime now reports it. */
function startedSandbox(container: Partial<ContainerInfo>, previousStartMs?: number) {
  const record: StoredSandboxRecord = {
    labels: {},
    annotations: {},
    spec: {},
    intent: "start",
    startRequestedMs: REQUESTED,
    ...(previousStartMs === undefined ? {} : { previousStartMs }),
    resourceVersion: "1",
    containerId: "web",
  };
  const sandbox = new LiveSandbox("s1", "web", "default", 0, record, () => 0);
  sandbox.container = {
    id: "web",
    name: "web",
    image: "busybox",
    labels: {},
    state: "exited",
    running: false,
    exitCode: null,
    oomKilled: false,
    startedAt: null,
    finishedAt: null,
    addresses: [],
    ports: [],
    ...container,
  };
  return sandbox;
}

describe("a started sandbox whose container is not running", () => {
  it("is STARTING while the runtime still shows the run before the start", () => {
    // Docker: the previous run's end time; Apple container: no end time, the previous start time.
    const docker = startedSandbox({ exitCode: 143, finishedAt: new Date(REQUESTED - 5_000) });
    expect(docker.derive().phase).toBe(SandboxPhase.STARTING);
    const apple = startedSandbox({ startedAt: new Date(REQUESTED - 60_000) });
    expect(apple.derive().phase).toBe(SandboxPhase.STARTING);
  });

  it("has ended when the run after the start has: with its exit code, or unknown where the runtime keeps none", () => {
    const docker = startedSandbox({ exitCode: 3, finishedAt: new Date(REQUESTED + 5_000) });
    expect(docker.derive()).toMatchObject({
      phase: SandboxPhase.ERROR,
      reason: "MainProcessFailed",
      exitCode: 3,
    });
    // Apple container keeps neither the end time nor the exit code: the run started after the
    // request and has stopped, so it ended; it must not look like it is still starting.
    const apple = startedSandbox({ startedAt: new Date(REQUESTED + 1_000) });
    expect(apple.derive()).toMatchObject({ phase: SandboxPhase.ERROR, reason: "MainProcessExited" });
  });

  it("tells Apple container's runs apart by their whole-second start times", () => {
    // The CLI's dates have no fraction: a run started in the second of the request started after it.
    const sameSecond = new Date(REQUESTED - (REQUESTED % 1000));
    expect(startedSandbox({ startedAt: sameSecond }, REQUESTED - 30_000).derive().phase).toBe(
      SandboxPhase.ERROR,
    );
    // The previous run's start, known from before the request, is not the new run's.
    const previous = REQUESTED - 30_000;
    expect(startedSandbox({ startedAt: new Date(previous) }, previous).derive().phase).toBe(
      SandboxPhase.STARTING,
    );
    // Without it, a start in the request's second counts as the new run.
    expect(startedSandbox({ startedAt: new Date(REQUESTED + 400) }).derive().phase).toBe(SandboxPhase.ERROR);
  });
});
