import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SandboxLogLine } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { LiveSandbox, type StoredSandboxRecord } from "../../../../src/local/sandboxes/live-sandbox.js";
import { pumpContainerLogs } from "../../../../src/local/sandboxes/sandbox-log-pump.js";
import { LocalStateStore, type StoredLogLine } from "../../../../src/local/state/state-store.js";
import { UntimestampedLogRuntime } from "./untimestamped-log-runtime.js";

const record: StoredSandboxRecord = {
  labels: {},
  annotations: {},
  spec: {},
  intent: "run",
  resourceVersion: "1",
  containerId: "c1",
};

describe("pumpContainerLogs on a runtime without log timestamps", () => {
  let dir: string;
  let store: LocalStateStore;
  let runtime: UntimestampedLogRuntime;

  /** A gateway's view of the sandbox: a store handle over the state directory and a live sandbox. */
  const open = (logLinesPerSandbox?: number) => {
    store = LocalStateStore.open(dir, logLinesPerSandbox === undefined ? {} : { logLinesPerSandbox });
    const sandbox = new LiveSandbox("s1", "web", "default", 0, record, () => 0);
    const seen: SandboxLogLine[] = [];
    sandbox.listeners.add({ log: (line) => seen.push(line) });
    return { sandbox, seen };
  };
  /** One pump until the container stops (or `signal` aborts). */
  const pump = (sandbox: LiveSandbox, containerId = "c1", signal = new AbortController().signal) =>
    pumpContainerLogs(runtime.asRuntime(), store, sandbox, containerId, signal);
  const stored = (source = "sandbox"): StoredLogLine[] =>
    store.readLogs("s1", 1000).lines.filter((line) => line.source === source);
  const messages = () => stored().map((line) => line.message);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "openshell-untimestamped-pump-"));
    runtime = new UntimestampedLogRuntime();
    const first = LocalStateStore.open(dir);
    first.insertSandbox({ id: "s1", workspace: "default", name: "web", createdMs: 0, record });
    first.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stamps each line when it reads it, never earlier than the line before, even across restarts", async () => {
    // The gateway's clock as each line is read: it steps back once (an NTP correction, say).
    const clock = [5000, 4000, 6000];
    let now = 0;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    runtime.beforeLine = () => {
      now = clock.shift() ?? now;
    };
    runtime.write("c1", "a", "err:b", "c");
    const first = open();
    await pump(first.sandbox);
    expect(stored().map((line) => [line.message, line.level, line.timestampMs])).toEqual([
      ["a", "INFO", 5000],
      ["err:b", "WARN", 5000],
      ["c", "INFO", 6000],
    ]);
    expect(first.seen.map((line) => Number(line.timestampMs))).toEqual([5000, 5000, 6000]);
    expect(runtime.asked.every((options) => !options.timestamps && !options.since)).toBe(true);

    // A new gateway whose clock is behind the stored lines.
    store.close();
    now = 1000;
    runtime.beforeLine = () => {};
    runtime.write("c1", "d");
    open();
    await pump(first.sandbox);
    expect(stored().map((line) => [line.message, line.timestampMs])).toEqual([
      ["a", 5000],
      ["err:b", 5000],
      ["c", 6000],
      ["d", 6000],
    ]);
  });

  it("resumes after a restart without repeating or losing a line, those written meanwhile included", async () => {
    runtime.start("c1");
    runtime.write("c1", "a", "b");
    const first = open();
    const stopFirst = new AbortController();
    const running = pump(first.sandbox, "c1", stopFirst.signal);
    await vi.waitFor(() => expect(messages()).toEqual(["a", "b"]));
    runtime.write("c1", "c");
    await vi.waitFor(() => expect(messages()).toEqual(["a", "b", "c"]));
    stopFirst.abort();
    await running;
    store.close();

    // Written while no pump ran.
    runtime.write("c1", "d", "e");
    const second = open();
    const again = pump(second.sandbox);
    await vi.waitFor(() => expect(messages()).toEqual(["a", "b", "c", "d", "e"]));
    runtime.write("c1", "f");
    runtime.stop("c1");
    await again;
    expect(messages()).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(second.seen.map((line) => line.message)).toEqual(["d", "e", "f"]);

    // Nothing new: nothing stored twice.
    await pump(second.sandbox);
    expect(messages()).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("stores lines and their count in one transaction: a batch that fails to write is read again, once", async () => {
    runtime.write("c1", "a", "b");
    const { sandbox } = open();
    const put = vi.spyOn(store.records, "put").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    await expect(pump(sandbox)).rejects.toThrow("disk I/O error");
    expect(messages()).toEqual([]);
    put.mockRestore();
    await pump(sandbox);
    expect(messages()).toEqual(["a", "b"]);
  });

  it("reads a replaced container's log from its first line", async () => {
    runtime.write("c1", "a", "b");
    const { sandbox } = open();
    await pump(sandbox);
    runtime.write("c2", "x", "y");
    await pump(sandbox, "c2");
    expect(messages()).toEqual(["a", "b", "x", "y"]);
    runtime.write("c2", "z");
    await pump(sandbox, "c2");
    expect(messages()).toEqual(["a", "b", "x", "y", "z"]);
  });

  it("reads a container started again from the first line of its new run's log", async () => {
    runtime.write("c1", "a", "b", "c");
    const { sandbox } = open();
    await pump(sandbox);
    runtime.restart("c1");
    runtime.write("c1", "d");
    runtime.stop("c1");
    await pump(sandbox);
    expect(messages()).toEqual(["a", "b", "c", "d"]);
    expect(stored("gateway")).toEqual([]);
    // A gateway restart within that run resumes by its count.
    store.close();
    runtime.write("c1", "e");
    open();
    await pump(sandbox);
    expect(messages()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("counts lines read, not lines kept, when the store trims old lines", async () => {
    runtime.write("c1", "a", "b", "c", "d", "e");
    const { sandbox } = open(3);
    await pump(sandbox);
    expect(messages()).toEqual(["c", "d", "e"]);
    store.close();
    runtime.write("c1", "f");
    open(3);
    await pump(sandbox);
    expect(messages()).toEqual(["d", "e", "f"]);
  });

  it("warns once, and repeats nothing, when the runtime replays fewer lines than were read", async () => {
    runtime.write("c1", "a", "b", "c", "d");
    const { sandbox, seen } = open();
    await pump(sandbox);
    // The runtime rotated its log while no pump ran: it now holds one old line and one new.
    runtime.write("c1", "e");
    runtime.rotate("c1", 2);
    await pump(sandbox);
    runtime.write("c1", "f");
    store.close();
    open();
    await pump(sandbox);
    expect(messages()).toEqual(["a", "b", "c", "d", "f"]);
    const warnings = stored("gateway");
    expect(warnings.map((line) => line.level)).toEqual(["WARN"]);
    expect(warnings[0]?.message).toContain(
      "replays 2 lines of container c1's log, fewer than the 4 already read",
    );
    expect(seen.filter((line) => line.source === "gateway").map((line) => line.message)).toEqual([
      warnings[0]?.message,
    ]);
  });
});
