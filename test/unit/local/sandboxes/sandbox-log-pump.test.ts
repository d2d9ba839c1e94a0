import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LiveSandbox, type StoredSandboxRecord } from "../../../../src/local/sandboxes/live-sandbox.js";
import { pumpContainerLogs } from "../../../../src/local/sandboxes/sandbox-log-pump.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";
import type { ContainerRuntime } from "../../../../src/runtime/container-runtime.js";
import type { LogLine, LogOptions } from "../../../../src/runtime/log-types.js";

/** A container log as an engine replays it: every line, from `since` (whole seconds) on. */
function engineWithLog(log: LogLine[], asked: LogOptions[]): ContainerRuntime {
  return {
    capabilities: new Set(["log-timestamps", "log-since"]),
    async *logs(_id: string, options: LogOptions = {}) {
      asked.push(options);
      for (const line of log) {
        if (options.since && (line.timestamp?.getTime() ?? 0) < options.since.getTime()) continue;
        yield line;
      }
    },
  } as unknown as ContainerRuntime;
}

const at = (iso: string) => new Date(iso);

describe("pumpContainerLogs", () => {
  let dir: string;
  let store: LocalStateStore;
  let sandbox: LiveSandbox;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "openshell-pump-"));
    store = LocalStateStore.open(dir);
    const record: StoredSandboxRecord = {
      labels: {},
      annotations: {},
      spec: {},
      intent: "run",
      resourceVersion: "1",
      containerId: "c1",
    };
    store.insertSandbox({ id: "s1", workspace: "default", name: "web", createdMs: 0, record });
    sandbox = new LiveSandbox("s1", "web", "default", 0, record, () => 0);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = () =>
    store
      .readLogs("s1", 100)
      .lines.filter((l) => l.source === "sandbox")
      .map((l) => l.message);

  it("resumes after the last stored line when the engine's timestamps are whole seconds", async () => {
    const log: LogLine[] = [
      { stream: "stdout", text: "a\n", timestamp: at("2026-01-01T00:00:01Z") },
      { stream: "stderr", text: "b\n", timestamp: at("2026-01-01T00:00:02Z") },
      { stream: "stdout", text: "c\n", timestamp: at("2026-01-01T00:00:02Z") },
    ];
    const asked: LogOptions[] = [];
    const signal = new AbortController().signal;
    await pumpContainerLogs(engineWithLog(log, asked), store, sandbox, "c1", signal);
    expect(stored()).toEqual(["a", "b", "c"]);

    // Written in the same second as the last stored line, while no pump ran.
    log.push({ stream: "stdout", text: "d\n", timestamp: at("2026-01-01T00:00:02Z") });
    log.push({ stream: "stdout", text: "e\n", timestamp: at("2026-01-01T00:00:03Z") });
    await pumpContainerLogs(engineWithLog(log, asked), store, sandbox, "c1", signal);
    expect(stored()).toEqual(["a", "b", "c", "d", "e"]);
    expect(asked.map((o) => o.since?.toISOString())).toEqual([undefined, "2026-01-01T00:00:02.000Z"]);

    // Nothing new: nothing stored twice.
    await pumpContainerLogs(engineWithLog(log, asked), store, sandbox, "c1", signal);
    expect(stored()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("skips by the millisecond when the engine has them", async () => {
    const log: LogLine[] = [
      { stream: "stdout", text: "x", timestamp: at("2026-01-01T00:00:01.250Z") },
      { stream: "stdout", text: "y", timestamp: at("2026-01-01T00:00:01.500Z") },
    ];
    const signal = new AbortController().signal;
    await pumpContainerLogs(engineWithLog(log.slice(0, 1), []), store, sandbox, "c1", signal);
    await pumpContainerLogs(engineWithLog(log, []), store, sandbox, "c1", signal);
    expect(stored()).toEqual(["x", "y"]);
  });
});
