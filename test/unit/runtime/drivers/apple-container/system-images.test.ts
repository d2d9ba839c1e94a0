import { readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CanceledError,
  CapabilityError,
  ContainerRuntimeError,
  NotFoundError,
  RuntimeNotFoundError,
} from "../../../../../src/errors.js";
import {
  APPLE_CONTAINER_CAPABILITIES,
  AppleContainerRuntime,
} from "../../../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import type { ProgressEvent } from "../../../../../src/runtime/image-types.js";
import { FakeRunner, fixture, STATUS } from "./fake-runner.js";
import { fakeRuntime, SESSION_LABEL_ARGS } from "./helpers.js";

/** A runner whose `container --version` is 1.1.0. */
function cli11(): FakeRunner {
  return new FakeRunner().onRun(["--version"], { stdout: fixture("version.txt") });
}

describe("connect and ping", () => {
  it("connects when the system service runs", async () => {
    const runner = cli11().onRun(STATUS, { stdout: fixture("system-status-running.json") });
    const runtime = await AppleContainerRuntime.connect({ runner, sessionId: "sess0001" });
    expect(runtime).toMatchObject({
      kind: "apple-container",
      endpoint: "container CLI",
      sessionId: "sess0001",
    });
    expect(runtime.sessionLabels).toEqual({
      "openshell.ai/managed-by": "openshell",
      "openshell.ai/session": "sess0001",
    });
    expect(runner.calls).toEqual([
      { kind: "run", command: "container", args: ["--version"], stdin: undefined, timeoutMs: 120_000 },
      { kind: "run", command: "container", args: STATUS, stdin: undefined, timeoutMs: 120_000 },
    ]);
  });

  it("runs the command it is given", async () => {
    const runner = cli11().onRun(STATUS, {
      stdout: fixture("system-status-running-unreleased.json"),
    });
    const runtime = await AppleContainerRuntime.connect({ runner, command: "/opt/bin/container" });
    expect(runtime.command).toBe("/opt/bin/container");
    expect(runner.calls[0]?.command).toBe("/opt/bin/container");
  });

  it.each([
    ["not running", { exitCode: 1, stdout: fixture("system-status-not-running.json") }, /is not running\./],
    [
      "unregistered",
      { exitCode: 1, stdout: fixture("system-status-unregistered.json") },
      /not registered with launchd/,
    ],
    [
      "down, plain text",
      { exitCode: 1, stdout: fixture("stderr-unregistered.txt") },
      /not registered with launchd/,
    ],
    ["unreachable over XPC", { exitCode: 1, stderr: fixture("stderr-not-running.txt") }, /is not running\./],
  ])("fails with advice when the service is %s", async (_name, reply, pattern) => {
    const runner = cli11().onRun(STATUS, reply);
    const error = await AppleContainerRuntime.connect({ runner }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect(error).toMatchObject({ runtime: "apple-container", statusCode: 1 });
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).toContain("`container system start`");
  });

  it("fails with RuntimeNotFoundError when there is no container command", async () => {
    const runner = new FakeRunner().onRun(
      () => true,
      Object.assign(new Error("spawn container ENOENT"), { code: "ENOENT" }),
    );
    const error = await AppleContainerRuntime.connect({ runner }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeNotFoundError);
    expect((error as RuntimeNotFoundError).probes).toEqual([
      {
        runtime: "apple-container",
        location: "container",
        source: "command option",
        reason: "not found on PATH",
      },
    ]);
  });

  it("reports output that is not a status as a CLI failure", async () => {
    const runner = cli11().onRun(STATUS, {
      exitCode: 64,
      stderr: "Error: Unknown option '--format'\n",
    });
    await expect(AppleContainerRuntime.connect({ runner })).rejects.toMatchObject({
      name: "ContainerRuntimeError",
      statusCode: 64,
      message: expect.stringContaining("Unknown option '--format'"),
    });
  });

  it("cancels with the signal", async () => {
    const runner = cli11().onRun(STATUS, "hang");
    const controller = new AbortController();
    const connecting = AppleContainerRuntime.connect({ runner, signal: controller.signal });
    controller.abort();
    await expect(connecting).rejects.toBeInstanceOf(CanceledError);
  });
});

describe("info, capabilities and require", () => {
  it("reports the CLI version and the host architecture", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(STATUS, { stdout: fixture("system-status-running-unreleased.json") });
    runner.onRun(["--version"], { stdout: fixture("version.txt") });
    await expect(runtime.info()).resolves.toEqual({
      kind: "apple-container",
      version: "1.1.0",
      os: "linux",
      arch: "arm64",
      rootless: false,
    });
    expect(runner.argv).toEqual([STATUS, ["--version"]]);
  });

  it("falls back to this machine's architecture when system status has no host (every release to 1.2.2)", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(STATUS, { stdout: fixture("system-status-running.json") });
    runner.onRun(["--version"], { stdout: fixture("version.txt") });
    const arch = process.arch === "x64" ? "amd64" : process.arch;
    await expect(runtime.info()).resolves.toMatchObject({ arch });
  });

  it("declares what Apple container can and cannot do", () => {
    expect([...APPLE_CONTAINER_CAPABILITIES].sort()).toEqual(
      [
        "bind-mounts",
        "build",
        "cap-add-drop",
        "container-address",
        "exec",
        "networks",
        "port-publishing",
        "read-only-root",
        "resource-limits",
        "tmpfs",
        "tty",
        "volumes",
      ].sort(),
    );
    const { runtime } = fakeRuntime();
    expect(runtime.capabilities).toBe(APPLE_CONTAINER_CAPABILITIES);
    expect(() => runtime.require(["exec", "volumes"])).not.toThrow();
    expect(() => runtime.require(["exec", "gpus", "privileged", "events"])).toThrow(
      expect.objectContaining({ name: "CapabilityError", missing: ["gpus", "privileged", "events"] }),
    );
  });
});

describe("images", () => {
  it("inspects an image", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "inspect", "alpine:3.20"], { stdout: fixture("image-inspect.json") });
    await expect(runtime.inspectImage("alpine:3.20")).resolves.toMatchObject({
      tags: ["docker.io/library/alpine:3.20"],
      os: "linux",
    });
  });

  it("tells whether an image is present", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "inspect", "alpine:3.20"], { stdout: fixture("image-inspect.json") });
    runner.onRun(["image", "inspect", "ghost:1"], {
      exitCode: 1,
      stderr: 'Error: notFound: "image ghost:1 not found"\n',
    });
    runner.onRun(["image", "inspect", "empty:1"], { stdout: "[]\n" });
    expect(await runtime.hasImage("alpine:3.20")).toBe(true);
    expect(await runtime.hasImage("ghost:1")).toBe(false);
    expect(await runtime.hasImage("empty:1")).toBe(false);
    await expect(runtime.inspectImage("ghost:1")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("lists images", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "list", "--format", "json"], { stdout: fixture("image-list-1.x.json") });
    expect((await runtime.listImages()).map((image) => image.tags[0])).toEqual([
      "docker.io/library/python:3.12-slim",
      "docker.io/library/alpine:3.20",
    ]);
  });

  it("pulls, reporting each output line as progress, then inspects", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(["image", "pull", "python:3.12-slim"], (process) => {
      process.write("stdout", "Fetching image\r[1/2] Fetching 12 MB");
      process.write("stdout", "\n[2/2] Unpacking\n");
      process.write("stderr", "done\n");
      process.finish(0);
    });
    runner.onRun(["image", "inspect", "python:3.12-slim"], { stdout: fixture("image-inspect-1.x.json") });
    const progress: ProgressEvent[] = [];
    const image = await runtime.pullImage("python:3.12-slim", {
      onProgress: (event) => progress.push(event),
    });
    expect(image.tags).toEqual(["docker.io/library/python:3.12-slim"]);
    expect(progress.map((event) => event.message)).toEqual([
      "Fetching image",
      "[1/2] Fetching 12 MB",
      "[2/2] Unpacking",
      "done",
    ]);
    expect(runner.argv).toEqual([
      ["image", "pull", "python:3.12-slim"],
      ["image", "inspect", "python:3.12-slim"],
    ]);
  });

  it("fails a pull with the end of the CLI's output", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(["image", "pull", "ghost:1"], (process) => {
      process.write("stderr", 'Error: notFound: "image ghost:1 not found in docker.io"\n');
      process.finish(1);
    });
    await expect(runtime.pullImage("ghost:1")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses credentials in the call before pulling", async () => {
    const { runtime, runner } = fakeRuntime();
    const error = await runtime
      .pullImage("ghcr.io/acme/agent:1", {
        auth: { username: "u", password: "p4ssw0rd!", serveraddress: "ghcr.io" },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect((error as Error).message).toContain("container registry login ghcr.io");
    expect((error as Error).message).not.toContain("p4ssw0rd!");
    expect(runner.calls).toEqual([]);
  });

  it("aborts a pull by killing the CLI", async () => {
    const { runtime, runner } = fakeRuntime();
    const controller = new AbortController();
    runner.onSpawn(["image", "pull", "big:1"], (process) => {
      process.write("stdout", "Fetching\n");
    });
    const pulling = runtime.pullImage("big:1", {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(pulling).rejects.toBeInstanceOf(CanceledError);
    expect(runner.processes[0]?.kills).toEqual(["SIGKILL"]);
  });

  it("builds from a context with build args and labels", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(
      (args) => args[0] === "build",
      (process) => {
        process.write("stderr", "#1 [internal] load build definition from Dockerfile.dev\n#2 DONE 0.1s\n");
        process.finish(0);
      },
    );
    runner.onRun(["image", "inspect", "acme/agent:dev"], { stdout: fixture("image-inspect-1.x.json") });
    const progress: string[] = [];
    await runtime.buildImage({
      tag: "acme/agent:dev",
      context: "/work/agent",
      dockerfile: "docker/Dockerfile.dev",
      buildArgs: { PY: "3.12" },
      labels: { team: "agents" },
      onProgress: (event) => progress.push(event.message),
    });
    expect(runner.argv[0]).toEqual([
      "build",
      "-t",
      "acme/agent:dev",
      "-f",
      "/work/agent/docker/Dockerfile.dev",
      "--build-arg",
      "PY=3.12",
      "--label",
      "team=agents",
      "--label",
      SESSION_LABEL_ARGS[0],
      "--label",
      SESSION_LABEL_ARGS[1],
      "/work/agent",
    ]);
    expect(progress).toEqual(["#1 [internal] load build definition from Dockerfile.dev", "#2 DONE 0.1s"]);
  });

  it("builds from Dockerfile text written to a temporary folder, removed afterwards", async () => {
    const { runtime, runner } = fakeRuntime();
    let seen: { dockerfile: string; text: string; context: string } | undefined;
    runner.onSpawn(
      (args) => args[0] === "build",
      async (process, args) => {
        const dockerfile = args[4] as string;
        seen = { dockerfile, text: await readFile(dockerfile, "utf8"), context: args.at(-1) as string };
        process.finish(0);
      },
    );
    runner.onRun(["image", "inspect", "scratch-test:1"], { stdout: fixture("image-inspect-1.x.json") });
    await runtime.buildImage({ tag: "scratch-test:1", dockerfileText: "FROM alpine:3.20\nRUN true\n" });
    expect(seen?.text).toBe("FROM alpine:3.20\nRUN true\n");
    expect(seen?.context).toBe(dirname(seen?.dockerfile ?? ""));
    await expect(stat(seen?.context ?? "")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("masks build arg values in a failed build's error", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onSpawn(
      (args) => args[0] === "build",
      (process) => {
        process.write("stderr", "ERROR: failed to solve: token ghp_0123456789abcdef rejected\n");
        process.finish(1);
      },
    );
    const error = (await runtime
      .buildImage({
        tag: "acme/agent:dev",
        context: "/work/agent",
        buildArgs: { TOKEN: "ghp_0123456789abcdef" },
      })
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect(error.message).toContain("--build-arg TOKEN=***");
    expect(error.message).not.toContain("ghp_0123456789abcdef");
  });

  it("refuses a build with neither context nor Dockerfile text", async () => {
    const { runtime, runner } = fakeRuntime();
    await expect(runtime.buildImage({ tag: "x:1" })).rejects.toMatchObject({ field: "context" });
    expect(runner.calls).toEqual([]);
  });

  it("cannot load image archives", async () => {
    const { runtime, runner } = fakeRuntime();
    await expect(runtime.loadImage({ archive: (async function* () {})() })).rejects.toMatchObject({
      name: "CapabilityError",
      missing: ["image-load"],
    });
    expect(runner.calls).toEqual([]);
  });

  it("deletes images; force ignores one already gone", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "delete", "alpine:3.20"], { stdout: "alpine:3.20\n" });
    runner.onRun(["image", "delete", "ghost:latest"], {
      exitCode: 1,
      stderr: fixture("stderr-image-not-found.txt"),
    });
    await runtime.removeImage("alpine:3.20");
    await runtime.removeImage("ghost:latest", { force: true });
    await expect(runtime.removeImage("ghost:latest")).rejects.toBeInstanceOf(NotFoundError);
  });
});
