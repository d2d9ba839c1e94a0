import { beforeEach, describe, expect, it, vi } from "vitest";
import { ContainerRuntimeError } from "../../../../../src/errors.js";
import type { ContainerInfo } from "../../../../../src/runtime/container-info.js";
import { diffContainers } from "../../../../../src/runtime/drivers/apple-container/container-watch.js";
import type { ContainerEvent } from "../../../../../src/runtime/event-types.js";
import { fixture, LIST } from "./fake-runner.js";
import { fakeRuntime } from "./helpers.js";

const startReaper = vi.hoisted(() => vi.fn());
vi.mock("../../../../../src/runtime/reaper/start-reaper.js", () => ({ startReaper }));

function info(id: string, state: ContainerInfo["state"], extra: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id,
    name: id,
    image: "alpine:3.20",
    labels: { app: id },
    state,
    running: state === "running",
    exitCode: null,
    oomKilled: false,
    startedAt: state === "created" ? null : new Date("2025-07-01T10:00:00Z"),
    finishedAt: null,
    addresses: [],
    ports: [],
    ...extra,
  };
}

const map = (...containers: ContainerInfo[]) => new Map(containers.map((c) => [c.id, c]));
const actions = (events: ContainerEvent[]) => events.map((e) => `${e.action} ${e.id}`);

describe("diffContainers", () => {
  const time = new Date("2025-07-01T12:00:00Z");

  it("turns new, started, stopped and vanished containers into Docker's events", () => {
    const before = map(info("a", "created"), info("b", "running"), info("c", "running"), info("d", "exited"));
    const after = map(
      info("a", "running"),
      info("b", "exited", { exitCode: 2 }),
      info("e", "created"),
      info("f", "running"),
    );
    const events = diffContainers(before, after, time);
    expect(actions(events)).toEqual([
      "start a",
      "die b",
      "create e",
      "create f",
      "start f",
      "die c",
      "destroy c",
      "destroy d",
    ]);
    expect(events.find((e) => e.action === "die" && e.id === "b")).toEqual({
      action: "die",
      id: "b",
      name: "b",
      labels: { app: "b" },
      exitCode: 2,
      time,
    });
    expect(events.find((e) => e.action === "die" && e.id === "c")).not.toHaveProperty("exitCode");
  });

  it("catches a run that started and ended between two polls", () => {
    const later = { startedAt: new Date("2025-07-01T11:00:00Z") };
    expect(actions(diffContainers(map(info("a", "exited")), map(info("a", "exited", later)), time))).toEqual([
      "start a",
      "die a",
    ]);
    expect(
      actions(diffContainers(map(info("a", "running")), map(info("a", "running", later)), time)),
    ).toEqual(["die a", "start a"]);
    expect(actions(diffContainers(new Map(), map(info("a", "exited")), time))).toEqual([
      "create a",
      "start a",
      "die a",
    ]);
  });

  it("says nothing when nothing changed", () => {
    expect(diffContainers(map(info("a", "running")), map(info("a", "running")), time)).toEqual([]);
  });
});

describe("watchContainers", () => {
  it("polls the list, skips what existed at the start, filters by label and ends on abort", async () => {
    const { runtime, runner } = fakeRuntime();
    const records = JSON.parse(fixture("list-1.0.json")) as {
      id: string;
      status: { state: string; startedDate?: string };
    }[];
    const snapshots = [
      records.filter((r) => r.id !== "fresh"),
      records,
      records.map((r) => (r.id === "web" ? { ...r, status: { ...r.status, state: "stopped" } } : r)),
      records.filter((r) => r.id !== "web"),
    ];
    let poll = 0;
    runner.onRun(LIST, () => ({ stdout: JSON.stringify(snapshots[Math.min(poll++, snapshots.length - 1)]) }));
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const event of runtime.watchContainers({
      labels: { "openshell.ai/managed-by": "openshell" },
      signal: controller.signal,
    })) {
      seen.push(`${event.action} ${event.id}`);
      if (seen.length === 3) controller.abort();
    }
    expect(seen).toEqual(["create fresh", "die web", "destroy web"]);
    expect(runner.argv.every((args) => args.join(" ") === LIST.join(" "))).toBe(true);
  });

  it("filters out containers without the labels", async () => {
    const { runtime, runner } = fakeRuntime();
    const records = JSON.parse(fixture("list-1.0.json")) as { id: string }[];
    let poll = 0;
    runner.onRun(LIST, () => ({ stdout: JSON.stringify(poll++ === 0 ? [] : records) }));
    const controller = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const event of runtime.watchContainers({
        labels: { app: "batch" },
        signal: controller.signal,
      })) {
        seen.push(`${event.action} ${event.id}`);
      }
    })();
    while (poll < 4) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await watching;
    expect(seen).toEqual(["create job-done", "start job-done", "die job-done"]);
  });

  it("throws when a poll fails", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: "[]" }, 1);
    runner.onRun(LIST, { exitCode: 1, stderr: fixture("stderr-not-running.txt") });
    const iterator = runtime.watchContainers()[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow(/container system start/);
  });
});

describe("reap", () => {
  it("deletes the session's containers, networks and volumes, in that order", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: fixture("list-1.0.json") });
    runner.onRun(["network", "list", "--format", "json"], { stdout: fixture("network-list.json") });
    runner.onRun(["volume", "list", "--format", "json"], { stdout: fixture("volume-list.json") });
    runner.onRun(["delete", "--force", "job-done"], { exitCode: 1, stderr: fixture("stderr-not-found.txt") });
    runner.onRun(() => true, { stdout: "ok\n" });
    await expect(runtime.reap()).resolves.toEqual({ containers: 1, networks: 1, volumes: 1 });
    expect(runner.argv).toEqual([
      LIST,
      ["delete", "--force", "web"],
      ["delete", "--force", "job-done"],
      ["network", "list", "--format", "json"],
      ["network", "delete", "sbx-net"],
      ["volume", "list", "--format", "json"],
      ["volume", "delete", "sbx-data"],
    ]);
  });

  it("reaps another session when asked, and names what it could not remove", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: fixture("list-1.0.json") });
    runner.onRun(["network", "list", "--format", "json"], { stdout: fixture("network-list-pre-1.0.json") });
    runner.onRun(["volume", "list", "--format", "json"], { stdout: fixture("volume-list-pre-1.0.json") });
    runner.onRun(["delete", "--force", "fresh"], { exitCode: 1, stderr: 'Error: internalError: "busy"\n' });
    const error = await runtime.reap({ sessionId: "sess0002" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect((error as Error).message).toMatch(/reaping session sess0002 left 1 object\(s\) behind: .*busy/);
  });
});

describe("reapOnExit and close", () => {
  beforeEach(() => startReaper.mockReset());

  it("starts the reaper once, for the CLI and this session", async () => {
    startReaper.mockResolvedValue({ pid: 1234, sessionId: "sess0001" });
    const { runtime } = fakeRuntime({ command: "/usr/local/bin/container" });
    await runtime.reapOnExit();
    await runtime.reapOnExit();
    expect(startReaper).toHaveBeenCalledTimes(1);
    expect(startReaper).toHaveBeenCalledWith(
      { kind: "cli", command: "/usr/local/bin/container" },
      "sess0001",
    );
  });

  it("reports a reaper that would not start, and tries again next time", async () => {
    startReaper.mockRejectedValueOnce(new Error("the reaper watcher was not armed within 10000 ms"));
    startReaper.mockResolvedValue({ pid: 1234, sessionId: "sess0001" });
    const { runtime } = fakeRuntime();
    await expect(runtime.reapOnExit()).rejects.toThrow(/could not start the reaper.*not armed/);
    await runtime.reapOnExit();
    expect(startReaper).toHaveBeenCalledTimes(2);
  });

  it("close kills streaming commands still running", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(["logs", "-f", "web"], () => {});
    runner.onRun(LIST, { stdout: fixture("list-1.0.json") });
    const reading = (async () => {
      const lines = [];
      for await (const line of runtime.logs("web", { follow: true })) lines.push(line);
      return lines;
    })();
    while (runner.processes.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await runtime[Symbol.asyncDispose]();
    expect(runner.processes[0]?.kills).toEqual(["SIGKILL"]);
    await expect(reading).rejects.toThrow(
      expect.objectContaining({
        name: "CanceledError",
        message: "logs of container web: the runtime was closed",
      }),
    );
  });

  it("close ends a running exec with CanceledError, not an exit code", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: fixture("list-1.0.json") });
    runner.onSpawn(["exec", "web", "sleep", "100"], () => {});
    const exec = await runtime.exec("web", { command: ["sleep", "100"] });
    await runtime.close();
    await expect(exec.wait()).rejects.toThrow(
      expect.objectContaining({
        name: "CanceledError",
        message: "exec in container web: the runtime was closed",
      }),
    );
  });
});
