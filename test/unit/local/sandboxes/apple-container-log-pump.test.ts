import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LiveSandbox, type StoredSandboxRecord } from "../../../../src/local/sandboxes/live-sandbox.js";
import { pumpContainerLogs } from "../../../../src/local/sandboxes/sandbox-log-pump.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";
import { LIST } from "../../runtime/drivers/apple-container/fake-runner.js";
import { fakeRuntime } from "../../runtime/drivers/apple-container/helpers.js";

/** `container list` output with the container `web` stopped after the run that started at `startedDate`. */
const stopped = (startedDate: string) =>
  JSON.stringify([
    {
      id: "web",
      configuration: { id: "web", image: { reference: "nginx:latest" }, labels: {} },
      status: { state: "stopped", networks: [], startedDate },
    },
  ]);

const record: StoredSandboxRecord = {
  labels: {},
  annotations: {},
  spec: {},
  intent: "run",
  resourceVersion: "1",
  containerId: "web",
};

describe("pumpContainerLogs over the Apple container driver (recorded CLI behaviour)", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "openshell-apple-pump-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("stores `container logs` lines once each across a gateway restart and a container restart", async () => {
    const { runtime, runner } = fakeRuntime();
    // The CLI prints the whole log, without timestamps, to every `logs` call.
    let log = "booting\nserving\n";
    runner.onSpawn(["logs", "web"], (process) => {
      process.write("stdout", log);
      process.finish(0);
    });
    runner.onSpawn(["logs", "-f", "web"], (process) => process.write("stdout", log));
    let startedDate = "2025-07-01T10:00:00Z";
    runner.onRun(LIST, () => ({ stdout: stopped(startedDate) }));

    let store = LocalStateStore.open(dir);
    store.insertSandbox({ id: "s1", workspace: "default", name: "web", createdMs: 0, record });
    const sandbox = new LiveSandbox("s1", "web", "default", 0, record, () => 0);
    const signal = new AbortController().signal;
    await pumpContainerLogs(runtime, store, sandbox, "web", signal);
    store.close();

    log += "request 1\n";
    store = LocalStateStore.open(dir);
    await pumpContainerLogs(runtime, store, sandbox, "web", signal);

    // Started again: the runtime empties a container's log when it starts it (O_TRUNC on its
    // stdio.log since apple/container 0.1.0), so the new run's log holds only the new run's lines.
    startedDate = "2025-07-01T11:00:00Z";
    log = "booting again\n";
    await pumpContainerLogs(runtime, store, sandbox, "web", signal);
    const lines = store.readLogs("s1", 100).lines;
    store.close();
    expect(lines.map((line) => [line.source, line.message])).toEqual([
      ["sandbox", "booting"],
      ["sandbox", "serving"],
      ["sandbox", "request 1"],
      ["sandbox", "booting again"],
    ]);
    expect(runner.argv.filter((args) => args[0] === "logs")).toEqual([
      ["logs", "-f", "web"],
      ["logs", "web"],
      ["logs", "-f", "web"],
      ["logs", "-f", "web"],
    ]);
    await runtime.close();
  });
});
