import { describe, expect, it } from "vitest";
import {
  CanceledError,
  CapabilityError,
  ContainerRuntimeError,
  NotFoundError,
} from "../../../../../src/errors.js";
import type { OutputChunk } from "../../../../../src/runtime/exec-types.js";
import { collect, type FakeProcess, fixture, LIST } from "./fake-runner.js";
import { fakeRuntime } from "./helpers.js";

/** `container list` output with one container `web` in `state`. */
function listWith(state: "running" | "stopped", startedDate = "2025-07-01T10:00:00Z"): string {
  return JSON.stringify([
    {
      id: "web",
      configuration: { id: "web", image: { reference: "nginx:latest" }, labels: {} },
      status: { state, networks: [], startedDate },
    },
  ]);
}

const text = (chunks: OutputChunk[], stream: "stdout" | "stderr") =>
  Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString("utf8");

describe("logs", () => {
  it("reads the log as stdout lines, with -n for tail", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(["logs", "-n", "2", "web"], (process) => {
      process.write("stdout", "first line\r\nsecond ");
      process.write("stdout", "line\nlast, without newline");
      process.finish(0);
    });
    expect(await collect(runtime.logs("web", { tail: 2 }))).toEqual([
      { stream: "stdout", text: "first line" },
      { stream: "stdout", text: "second line" },
      { stream: "stdout", text: "last, without newline" },
    ]);
    expect(runner.processes[0]?.stdinEnded).toBe(true);
  });

  it("follows with -f until polling sees the container stopped", async () => {
    const { runtime, runner } = fakeRuntime();
    let process: FakeProcess | undefined;
    runner.onSpawn(["logs", "-f", "web"], (p) => {
      process = p;
      p.write("stdout", "booting\n");
    });
    let polls = 0;
    runner.onRun(LIST, () => {
      polls += 1;
      if (polls === 2) process?.write("stdout", "serving\n");
      return { stdout: listWith(polls < 3 ? "running" : "stopped") };
    });
    const lines = await collect(runtime.logs("web", { follow: true }));
    expect(lines.map((line) => line.text)).toEqual(["booting", "serving"]);
    expect(process?.kills).toEqual(["SIGTERM"]);
    expect(runner.argv.filter((args) => args[0] === "list").length).toBe(3);
  });

  it("throws CanceledError and kills the CLI when aborted", async () => {
    const { runtime, runner } = fakeRuntime();
    const controller = new AbortController();
    runner.onSpawn(["logs", "-f", "web"], (process) => process.write("stdout", "one\n"));
    runner.onRun(LIST, { stdout: listWith("running") });
    const lines: string[] = [];
    const reading = (async () => {
      for await (const line of runtime.logs("web", { follow: true, signal: controller.signal })) {
        lines.push(line.text);
        controller.abort();
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(CanceledError);
    expect(lines).toEqual(["one"]);
    expect(runner.processes[0]?.kills).toEqual(["SIGKILL"]);
  });

  it("kills the CLI when the reader stops early", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(["logs", "-f", "web"], (process) => process.write("stdout", "one\ntwo\n"));
    runner.onRun(LIST, { stdout: listWith("running") });
    for await (const line of runtime.logs("web", { follow: true })) {
      expect(line.text).toBe("one");
      break;
    }
    expect(runner.processes[0]?.hasExited).toBe(true);
  });

  it("maps a failed logs command to its error", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(["logs", "ghost"], (process) => {
      process.write("stderr", fixture("stderr-not-found.txt"));
      process.finish(1);
    });
    await expect(collect(runtime.logs("ghost"))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses since, timestamps and one-stream reads before running anything", async () => {
    const { runtime, runner } = fakeRuntime();
    expect(() => runtime.logs("web", { since: new Date() })).toThrow(
      expect.objectContaining({ name: "CapabilityError", missing: ["log-since"] }),
    );
    expect(() => runtime.logs("web", { timestamps: true, since: new Date() })).toThrow(
      expect.objectContaining({ missing: ["log-since", "log-timestamps"] }),
    );
    expect(() => runtime.logs("web", { stderr: false })).toThrow(CapabilityError);
    expect(runner.calls).toEqual([]);
    // Neither stream: nothing to read, nothing run.
    expect(await collect(runtime.logs("web", { stdout: false, stderr: false }))).toEqual([]);
    expect(runner.calls).toEqual([]);
  });
});

describe("exec", () => {
  it("refuses tty with stdin before running anything: the CLI would need a terminal of its own", async () => {
    const { runtime, runner } = fakeRuntime();
    const error = await runtime
      .exec("web", { command: ["sh"], tty: true, stdin: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "apple-container", missing: ["interactive-tty"] });
    expect((error as Error).message).toMatch(/cannot run an exec with both tty and stdin/);
    expect(runner.calls).toEqual([]);
  });

  it("passes -i, -e, -u and -w, and streams output, stdin and the exit code", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: listWith("running") });
    runner.onSpawn(
      (args) => args[0] === "exec",
      async (process) => {
        await process.stdinClosed;
        process.write("stdout", `got ${process.stdinText}`);
        process.write("stderr", "warning\n");
        process.finish(3);
      },
    );
    const exec = await runtime.exec("web", {
      command: ["sh", "-c", "cat"],
      env: { TOKEN: "t0ken-value", A: "1" },
      user: "sandbox",
      workdir: "/work",
      stdin: true,
    });
    expect(runner.argv.at(-1)).toEqual([
      "exec",
      "-i",
      "-e",
      "TOKEN=t0ken-value",
      "-e",
      "A=1",
      "-u",
      "sandbox",
      "-w",
      "/work",
      "web",
      "sh",
      "-c",
      "cat",
    ]);
    expect(exec.stdin).not.toBeNull();
    exec.stdin?.end("hello\n");
    const chunks = await collect(exec.output);
    expect(text(chunks, "stdout")).toBe("got hello\n");
    expect(text(chunks, "stderr")).toBe("warning\n");
    await expect(exec.wait()).resolves.toEqual({ exitCode: 3 });
    expect(exec.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("closes stdin at once without stdin: true, and wait() drains the output", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: listWith("running") });
    runner.onSpawn(["exec", "web", "true"], (process) => {
      process.write("stdout", "x".repeat(100_000));
      process.finish(0);
    });
    const exec = await runtime.exec("web", { command: ["true"] });
    expect(exec.stdin).toBeNull();
    expect(runner.processes[0]?.stdinEnded).toBe(true);
    await expect(exec.wait()).resolves.toEqual({ exitCode: 0 });
  });

  it("refuses a container that does not run, or does not exist, before starting the exec", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: listWith("stopped") });
    await expect(runtime.exec("web", { command: ["true"] })).rejects.toThrow(/exited, not running/);
    await expect(runtime.exec("ghost", { command: ["true"] })).rejects.toBeInstanceOf(NotFoundError);
    expect(runner.argv.every((args) => args[0] === "list")).toBe(true);
  });

  it("aborting kills the CLI and ends the output with CanceledError", async () => {
    const { runtime, runner } = fakeRuntime();
    const controller = new AbortController();
    runner.onRun(LIST, { stdout: listWith("running") });
    runner.onSpawn(["exec", "web", "sleep", "100"], (process) => process.write("stdout", "started\n"));
    const exec = await runtime.exec("web", { command: ["sleep", "100"], signal: controller.signal });
    const reading = (async () => {
      for await (const chunk of exec.output) {
        expect(chunk.data.toString()).toBe("started\n");
        controller.abort();
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(CanceledError);
    await expect(exec.wait()).rejects.toBeInstanceOf(CanceledError);
    expect(runner.processes[0]?.kills).toEqual(["SIGKILL"]);
  });

  it("reports a container that stopped under the command as an error, not an exit code", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: listWith("running") }, 1);
    runner.onRun(LIST, { stdout: listWith("stopped") });
    runner.onSpawn(["exec", "web", "sleep", "100"], (process) => {
      process.write("stderr", 'Error: internalError: "process exited unexpectedly"\n');
      process.finish(1);
    });
    const exec = await runtime.exec("web", { command: ["sleep", "100"] });
    await expect(exec.wait()).rejects.toThrow(/container stopped while the command was running/);
  });

  it("cannot resize: a CapabilityError with tty, a usage error without", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: listWith("running") });
    runner.onSpawn(
      () => true,
      (process) => process.finish(0),
    );
    const withTty = await runtime.exec("web", {
      command: ["sh"],
      tty: true,
      terminalSize: { columns: 80, rows: 24 },
    });
    await expect(withTty.resize({ columns: 100, rows: 30 })).rejects.toMatchObject({
      name: "CapabilityError",
      missing: ["exec-resize"],
    });
    const withoutTty = await runtime.exec("web", { command: ["sh"] });
    await expect(withoutTty.resize({ columns: 100, rows: 30 })).rejects.toBeInstanceOf(ContainerRuntimeError);
    await withTty.wait();
    await withoutTty.wait();
  });
});

describe("waitContainer", () => {
  it("polls until the container stops and returns a reported exit code", async () => {
    const { runtime, runner } = fakeRuntime();
    let polls = 0;
    runner.onRun(LIST, () => {
      polls += 1;
      if (polls < 3) return { stdout: listWith("running") };
      const [record] = JSON.parse(listWith("stopped")) as { status: Record<string, unknown> }[];
      if (record !== undefined) record.status.exitCode = 7;
      return { stdout: JSON.stringify([record]) };
    });
    await expect(runtime.waitContainer("web")).resolves.toBe(7);
    expect(polls).toBe(3);
  });

  it("refuses with a CapabilityError naming exit-codes once the container stops, when the CLI reports none", async () => {
    const { runtime, runner } = fakeRuntime();
    let polls = 0;
    runner.onRun(LIST, () => {
      polls += 1;
      return { stdout: listWith(polls < 2 ? "running" : "stopped") };
    });
    const error = await runtime.waitContainer("web").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "apple-container", missing: ["exit-codes"] });
    expect((error as Error).message).toBe(
      "wait for container web: it is exited, but this version of the container CLI does not report exit codes. " +
        "Read its logs to see how it ended, or choose a runtime that reports them (OPENSHELL_RUNTIME=docker or podman)",
    );
    // It waited for the stop first.
    expect(polls).toBe(2);
  });

  it("cancels with the signal", async () => {
    const { runtime, runner } = fakeRuntime();
    const controller = new AbortController();
    let polls = 0;
    runner.onRun(LIST, () => {
      polls += 1;
      if (polls === 2) controller.abort();
      return { stdout: listWith("running") };
    });
    await expect(runtime.waitContainer("web", { signal: controller.signal })).rejects.toBeInstanceOf(
      CanceledError,
    );
  });
});

describe("networks and volumes", () => {
  it("creates a network and reads back the subnet and gateway the CLI gave it; lists and deletes networks", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun((args) => args[1] === "create", { stdout: "sbx-net\n" });
    // The recorded listing, with the label this test asks for on sbx-net.
    const listing = fixture("network-list.json").replace(
      '"labels": { "openshell.ai/managed-by"',
      '"labels": { "tier": "a", "openshell.ai/managed-by"',
    );
    runner.onRun(["network", "list", "--format", "json"], { stdout: listing });
    runner.onRun(["network", "delete", "sbx-net"], { stdout: "sbx-net\n" });
    await expect(runtime.createNetwork({ name: "sbx-net", labels: { tier: "a" } })).resolves.toEqual({
      id: "sbx-net",
      name: "sbx-net",
      internal: false,
      labels: { tier: "a", "openshell.ai/managed-by": "openshell", "openshell.ai/session": "sess0001" },
      subnet: "192.168.65.0/24",
      gateway: "192.168.65.1",
    });
    expect(
      (await runtime.listNetworks({ labels: { "openshell.ai/session": "sess0001" } })).map((n) => n.name),
    ).toEqual(["sbx-net"]);
    await runtime.removeNetwork("sbx-net");
    expect(runner.argv).toEqual([
      [
        "network",
        "create",
        "--label",
        "tier=a",
        "--label",
        "openshell.ai/managed-by=openshell",
        "--label",
        "openshell.ai/session=sess0001",
        "sbx-net",
      ],
      ["network", "list", "--format", "json"],
      ["network", "list", "--format", "json"],
      ["network", "delete", "sbx-net"],
    ]);
  });

  it("deletes the network it made when reading it back fails, and says why", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun((args) => args[1] === "create", { stdout: "sbx-net\n" });
    runner.onRun(["network", "list", "--format", "json"], {
      exitCode: 1,
      stderr: fixture("stderr-not-running.txt"),
    });
    runner.onRun(["network", "delete", "sbx-net"], { stdout: "sbx-net\n" });
    const error = await runtime.createNetwork({ name: "sbx-net" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect((error as Error).message).toContain("container system start");
    expect(runner.argv.slice(1)).toEqual([
      ["network", "list", "--format", "json"],
      ["network", "delete", "sbx-net"],
    ]);
  });

  it("refuses a bridge name with a CapabilityError before running anything: vmnet networks have no Linux bridge", async () => {
    const { runtime, runner } = fakeRuntime();
    const error = await runtime
      .createNetwork({ name: "sbx-net", bridgeName: "os-abc" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "apple-container", missing: ["network-bridge-name"] });
    expect((error as Error).message).toBe(
      "the apple-container runtime does not support: network-bridge-name (needed by the network spec). " +
        "Drop that option, or choose a runtime that has it (OPENSHELL_RUNTIME=docker or podman).",
    );
    expect(runner.calls).toEqual([]);
  });

  it("refuses internal networks and bad names before running anything", async () => {
    const { runtime, runner } = fakeRuntime();
    await expect(runtime.createNetwork({ name: "isolated", internal: true })).rejects.toMatchObject({
      name: "CapabilityError",
      missing: ["internal-networks"],
    });
    await expect(runtime.createNetwork({ name: "x".repeat(64) })).rejects.toMatchObject({ field: "name" });
    await expect(runtime.createVolume({ name: "v", labels: { q: "a=b" } })).rejects.toMatchObject({
      field: "name",
    });
    await expect(runtime.createVolume({ name: "vol", labels: { q: "a=b" } })).rejects.toMatchObject({
      field: "labels.q",
    });
    expect(runner.calls).toEqual([]);
  });

  it("creates, lists and deletes volumes; force ignores one already gone", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun((args) => args[1] === "create", { stdout: "sbx-data\n" });
    runner.onRun(["volume", "list", "--format", "json"], { stdout: fixture("volume-list-pre-1.0.json") });
    runner.onRun(["volume", "delete", "sbx-data"], { stdout: "sbx-data\n" });
    runner.onRun(["volume", "delete", "gone"], {
      exitCode: 1,
      stderr: 'Error: notFound: "volume gone not found"\n',
    });
    await expect(runtime.createVolume({ name: "sbx-data" })).resolves.toEqual({
      name: "sbx-data",
      labels: { "openshell.ai/managed-by": "openshell", "openshell.ai/session": "sess0001" },
    });
    expect(
      (await runtime.listVolumes({ labels: { "openshell.ai/session": "sess0001" } })).map((v) => v.name),
    ).toEqual(["sbx-data"]);
    await runtime.removeVolume("sbx-data");
    await runtime.removeVolume("gone", { force: true });
    await expect(runtime.removeVolume("gone")).rejects.toBeInstanceOf(NotFoundError);
    expect(runner.argv.slice(0, 3)).toEqual([
      [
        "volume",
        "create",
        "--label",
        "openshell.ai/managed-by=openshell",
        "--label",
        "openshell.ai/session=sess0001",
        "sbx-data",
      ],
      ["volume", "list", "--format", "json"],
      ["volume", "delete", "sbx-data"],
    ]);
  });
});
