import { describe, expect, it } from "vitest";
import { collect, LIST } from "./fake-runner.js";
import { fakeRuntime } from "./helpers.js";

/** `container list` output with one container `web` in `state`. */
function listWith(state: "running" | "stopped"): string {
  return JSON.stringify([
    {
      id: "web",
      configuration: { id: "web", image: { reference: "nginx:latest" }, labels: {} },
      status: { state, networks: [], startedDate: "2025-07-01T10:00:00Z" },
    },
  ]);
}

/*
 * `container logs -f ID` of a container that has written nothing yet prints nothing and exits 0 at
 * once, in every release from 0.5.0 to 1.2.2 (ContainerLogs.swift: `readToEnd()` gives nil for a
 * zero-byte read, and `tail` returns before it follows). Found by running the driver on the
 * emulator (test/support/apple-container-emulator), which does the same.
 */
describe("following the log of a container that has written nothing yet", () => {
  it("follows again with -n, which follows an empty log too, instead of ending at once", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(["logs", "-f", "web"], (process) => process.finish(0));
    let polls = 0;
    runner.onSpawn(["logs", "-f", "-n", "2147483647", "web"], (process) => {
      process.write("stdout", "late\n");
    });
    runner.onRun(LIST, () => {
      polls += 1;
      return { stdout: listWith(polls < 4 ? "running" : "stopped") };
    });
    const lines = await collect(runtime.logs("web", { follow: true }));
    expect(lines).toEqual([{ stream: "stdout", text: "late" }]);
    expect(runner.argv.filter((args) => args[0] === "logs")).toEqual([
      ["logs", "-f", "web"],
      ["logs", "-f", "-n", "2147483647", "web"],
    ]);
  });

  it("ends when the container is no longer running: its empty log was all of it", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(["logs", "-f", "web"], (process) => process.finish(0));
    runner.onRun(LIST, { stdout: listWith("stopped") });
    expect(await collect(runtime.logs("web", { follow: true }))).toEqual([]);
    expect(runner.argv.filter((args) => args[0] === "logs")).toEqual([["logs", "-f", "web"]]);
  });
});
