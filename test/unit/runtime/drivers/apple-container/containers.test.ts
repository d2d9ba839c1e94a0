import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  CapabilityError,
  ContainerRuntimeError,
  InvalidArgumentError,
  NotFoundError,
} from "../../../../../src/errors.js";
import type { ContainerSpec } from "../../../../../src/runtime/container-spec.js";
import { fixture, LIST } from "./fake-runner.js";
import { fakeRuntime, SESSION, SESSION_LABEL_ARGS } from "./helpers.js";

const FULL_SPEC: ContainerSpec = {
  image: "docker.io/library/python:3.12-slim",
  name: "sbx-1",
  command: ["-c", "print(1)"],
  entrypoint: ["python3", "-u"],
  env: { API_KEY: "sk-secret-123", MODE: "test" },
  labels: { app: "agent" },
  user: "1000:1000",
  workdir: "/work",
  mounts: [
    { type: "bind", source: "/Users/dev/src", target: "/src", readOnly: true },
    { type: "bind", source: "/tmp/out", target: "/out" },
    { type: "volume", source: "sbx-data", target: "/data" },
    { type: "volume", source: "cache", target: "/cache", readOnly: true },
  ],
  readOnlyRoot: true,
  capAdd: ["NET_ADMIN"],
  capDrop: ["ALL"],
  resources: { cpus: 1.5, memoryMiB: 2048 },
  network: "sbx-net",
  ports: [
    { containerPort: 8000 },
    { containerPort: 53, protocol: "udp", hostPort: 5353, hostIp: "0.0.0.0" },
    { containerPort: 9000, hostPort: 9000, hostIp: "::1" },
  ],
  tty: true,
  openStdin: true,
};

describe("createContainer", () => {
  it("turns every option into its flag", async () => {
    const picked: [string, string][] = [];
    const { runtime, runner } = fakeRuntime({
      pickHostPort: async (hostIp, protocol) => {
        picked.push([hostIp, protocol]);
        return 49152;
      },
    });
    runner.onRun((args) => args[0] === "create", { stdout: "sbx-1\n" });
    await expect(runtime.createContainer(FULL_SPEC)).resolves.toEqual({ id: "sbx-1", name: "sbx-1" });
    expect(runner.argv).toEqual([
      [
        "create",
        "--name",
        "sbx-1",
        "-e",
        "API_KEY=sk-secret-123",
        "-e",
        "MODE=test",
        "-l",
        "app=agent",
        "-l",
        SESSION_LABEL_ARGS[0],
        "-l",
        SESSION_LABEL_ARGS[1],
        "-p",
        "127.0.0.1:49152:8000/tcp",
        "-p",
        "0.0.0.0:5353:53/udp",
        "-p",
        "[::1]:9000:9000/tcp",
        "--mount",
        "type=bind,source=/Users/dev/src,target=/src,readonly",
        "--mount",
        "type=bind,source=/tmp/out,target=/out",
        "-v",
        "sbx-data:/data",
        "-v",
        "cache:/cache:ro",
        "-c",
        "2",
        "-m",
        "2048M",
        "--entrypoint",
        "python3",
        "-u",
        "1000:1000",
        "-w",
        "/work",
        "--network",
        "sbx-net",
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "ALL",
        "--read-only",
        "-t",
        "-i",
        "docker.io/library/python:3.12-slim",
        "-u",
        "-c",
        "print(1)",
      ],
    ]);
    // Only the port without a host port asked for a free one, on the default loopback address.
    expect(picked).toEqual([["127.0.0.1", "tcp"]]);
    expect(runner.calls[0]?.timeoutMs).toBe(120_000);
  });

  it("takes the id the CLI printed when no name was given", async () => {
    const { runtime, runner } = fakeRuntime({ commandTimeoutMs: 5_000 });
    runner.onRun((args) => args[0] === "create", {
      stdout: "Warning: rosetta not installed\n3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c\n",
    });
    await expect(runtime.createContainer({ image: "alpine:3.20" })).resolves.toEqual({
      id: "3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c",
      name: "3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c",
    });
    expect(runner.argv[0]).toEqual([
      "create",
      "-l",
      SESSION_LABEL_ARGS[0],
      "-l",
      SESSION_LABEL_ARGS[1],
      "alpine:3.20",
    ]);
    expect(runner.calls[0]?.timeoutMs).toBe(5_000);
  });

  it.each<[string, Partial<ContainerSpec>, string[]]>([
    ["gpus", { gpus: "all" }, ["gpus"]],
    ["privileged", { privileged: true }, ["privileged"]],
    ["extraHosts", { extraHosts: [{ host: "db", ip: "10.0.0.2" }] }, ["extra-hosts"]],
    ["noNewPrivileges", { noNewPrivileges: true }, ["no-new-privileges"]],
    ["pidsLimit", { resources: { pidsLimit: 100 } }, ["pids-limit"]],
    [
      "everything at once",
      { gpus: 1, privileged: true, extraHosts: [{ host: "db", ip: "host-gateway" }], noNewPrivileges: true },
      ["privileged", "no-new-privileges", "gpus", "extra-hosts"],
    ],
  ])("refuses %s with a CapabilityError before running anything", async (_name, extra, missing) => {
    const { runtime, runner } = fakeRuntime();
    const error = await runtime.createContainer({ image: "alpine:3.20", ...extra }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "apple-container", missing });
    expect((error as Error).message).toMatch(/apple-container runtime does not support/);
    expect(runner.calls).toEqual([]);
  });

  it.each(["-bad", "a", "x".repeat(64), "has space", "_under"])(
    "refuses the name %j before running anything",
    async (name) => {
      const { runtime, runner } = fakeRuntime();
      const error = await runtime.createContainer({ image: "alpine:3.20", name }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ field: "name" });
      expect(runner.calls).toEqual([]);
    },
  );

  it("accepts a 63-character name", async () => {
    const { runtime, runner } = fakeRuntime();
    const name = `a${"b".repeat(62)}`;
    runner.onRun((args) => args[0] === "create", { stdout: `${name}\n` });
    await expect(runtime.createContainer({ image: "alpine:3.20", name })).resolves.toEqual({
      id: name,
      name,
    });
  });

  it("refuses a label value holding '=' before running anything", async () => {
    const { runtime, runner } = fakeRuntime();
    const error = await runtime
      .createContainer({ image: "alpine:3.20", labels: { "com.example.query": "a=b" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ field: "labels.com.example.query" });
    expect(runner.calls).toEqual([]);
  });

  it("refuses mount paths the CLI would cut", async () => {
    const { runtime, runner } = fakeRuntime();
    await expect(
      runtime.createContainer({
        image: "alpine:3.20",
        mounts: [{ type: "bind", source: "/a,b", target: "/x" }],
      }),
    ).rejects.toMatchObject({ field: "mounts.0.source" });
    await expect(
      runtime.createContainer({
        image: "alpine:3.20",
        mounts: [{ type: "volume", source: "v", target: "/x:y" }],
      }),
    ).rejects.toMatchObject({ field: "mounts.0.target" });
    await expect(
      runtime.createContainer({ image: "alpine:3.20", mounts: [{ type: "tmpfs", target: "/a,b" }] }),
    ).rejects.toMatchObject({ field: "mounts.0.target" });
    expect(runner.calls).toEqual([]);
  });

  it("creates from an image id (as inspectImage gives it) by that image's reference, which is all the CLI finds", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["image", "list", "--format", "json"], { stdout: fixture("image-list-1.x.json") });
    runner.onRun((args) => args[0] === "create", { stdout: "sbx-1\n" });
    const id = "sha256:c0ffee0b7d2a1e6f3c9b8a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f";
    await runtime.createContainer({ image: id });
    expect(runner.argv.at(-1)?.at(-1)).toBe("docker.io/library/python:3.12-slim");
    // An id no image has goes to the CLI as it is, for its own "not found".
    const unknown = `sha256:${"0".repeat(64)}`;
    await runtime.createContainer({ image: unknown });
    expect(runner.argv.at(-1)?.at(-1)).toBe(unknown);
    // A reference is passed on without listing anything.
    const listed = runner.argv.filter((args) => args[0] === "image").length;
    await runtime.createContainer({ image: "alpine:3.20" });
    expect(runner.argv.filter((args) => args[0] === "image").length).toBe(listed);
  });

  it("mounts a tmpfs with its size and mode, the only options the CLI has, and refuses noexec", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun((args) => args[0] === "create", { stdout: "sbx-1\n" });
    await runtime.createContainer({
      image: "alpine:3.20",
      mounts: [
        { type: "tmpfs", target: "/sandbox", sizeMiB: 64, mode: 0o1777, exec: true, userOwned: true },
        { type: "tmpfs", target: "/tmp" },
      ],
    });
    const argv = runner.argv[0] ?? [];
    expect(argv.filter((_, i) => argv[i - 1] === "--mount")).toEqual([
      "type=tmpfs,target=/sandbox,size=64M,mode=1777",
      "type=tmpfs,target=/tmp",
    ]);
    const before = runner.calls.length;
    const error = await runtime
      .createContainer({ image: "alpine:3.20", mounts: [{ type: "tmpfs", target: "/tmp", exec: false }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ field: "mounts.0.exec" });
    expect((error as Error).message).toMatch(/no noexec option/);
    expect(runner.calls.length).toBe(before);
  });

  it("never puts env values in its errors, even when the CLI echoes them", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun((args) => args[0] === "create", {
      exitCode: 1,
      stderr: 'Error: invalidArgument: "cannot parse environment variable API_KEY=sk-secret-123"\n',
    });
    const error = (await runtime
      .createContainer(FULL_SPEC)
      .catch((e: unknown) => e)) as ContainerRuntimeError;
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect(error.statusCode).toBe(1);
    expect(error.message).toContain("-e API_KEY=*** -e MODE=***");
    expect(error.message).toContain("container create --name sbx-1");
    expect(error.message).not.toContain("sk-secret-123");
    expect(String(error)).not.toContain("sk-secret-123");
  });

  it("reports a taken name as AlreadyExistsError", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun((args) => args[0] === "create", {
      exitCode: 1,
      stderr: fixture("stderr-already-exists.txt"),
    });
    await expect(runtime.createContainer({ image: "alpine:3.20", name: "web" })).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
  });

  it("reports a stopped system service with the command that starts it", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun((args) => args[0] === "create", { exitCode: 1, stderr: fixture("stderr-not-running.txt") });
    const error = await runtime.createContainer({ image: "alpine:3.20" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect((error as Error).message).toMatch(/system service is not running.*`container system start`/s);
  });
});

describe("container lifecycle commands", () => {
  it("issues start, stop, kill and delete with their flags", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(() => true, { stdout: "web\n" });
    await runtime.startContainer("web");
    await runtime.stopContainer("web");
    await runtime.stopContainer("web", { timeoutSeconds: 3 });
    await runtime.killContainer("web");
    await runtime.killContainer("web", { killSignal: "SIGTERM" });
    await runtime.removeContainer("web");
    await runtime.removeContainer("web", { force: true });
    expect(runner.argv).toEqual([
      ["start", "web"],
      ["stop", "web"],
      ["stop", "-t", "3", "web"],
      ["kill", "--signal", "KILL", "web"],
      ["kill", "--signal", "SIGTERM", "web"],
      ["delete", "web"],
      ["delete", "--force", "web"],
    ]);
  });

  it("maps the CLI's not-found messages to NotFoundError", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["start", "ghost"], { exitCode: 1, stderr: fixture("stderr-not-found.txt") });
    runner.onRun(["stop", "ghost"], { exitCode: 1, stderr: fixture("stderr-no-such-container.txt") });
    await expect(runtime.startContainer("ghost")).rejects.toBeInstanceOf(NotFoundError);
    await expect(runtime.stopContainer("ghost")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("starts and stops idempotently when the CLI refuses because it is already done", async () => {
    const { runtime, runner } = fakeRuntime();
    const refused = {
      exitCode: 1,
      stderr: 'Error: invalidState: "container web is already in that state"\n',
    };
    runner.onRun(["start", "web"], refused);
    runner.onRun(["stop", "job-done"], refused);
    runner.onRun(["stop", "web"], refused);
    runner.onRun(LIST, { stdout: fixture("list-1.0.json") });
    await runtime.startContainer("web");
    await runtime.stopContainer("job-done");
    await expect(runtime.stopContainer("web")).rejects.toThrow(/already in that state/);
    expect(runner.argv).toEqual([["start", "web"], LIST, ["stop", "job-done"], LIST, ["stop", "web"], LIST]);
  });

  it("keeps other failures as ContainerRuntimeError with the exit code", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(["delete", "web"], { exitCode: 1, stderr: fixture("stderr-invalid-argument.txt") });
    await expect(runtime.removeContainer("web")).rejects.toMatchObject({
      name: "ContainerRuntimeError",
      statusCode: 1,
      runtime: "apple-container",
    });
  });

  it("refuses ids and signals the CLI would read as options", async () => {
    const { runtime, runner } = fakeRuntime();
    await expect(runtime.startContainer("--all")).rejects.toMatchObject({ field: "id" });
    await expect(runtime.removeContainer("")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runtime.killContainer("web", { killSignal: "-9" })).rejects.toMatchObject({
      field: "killSignal",
    });
    expect(runner.calls).toEqual([]);
  });
});

describe("inspectContainer and listContainers", () => {
  it("inspects from the full list", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: fixture("list-1.0.json") });
    await expect(runtime.inspectContainer("job-done")).resolves.toMatchObject({
      id: "job-done",
      state: "exited",
    });
    await expect(runtime.inspectContainer("ghost")).rejects.toBeInstanceOf(NotFoundError);
    expect(runner.argv).toEqual([LIST, LIST]);
  });

  it("filters by label on this side", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: fixture("list-1.0.json") });
    expect((await runtime.listContainers()).map((c) => c.id)).toEqual(["web", "job-done", "fresh"]);
    expect((await runtime.listContainers({ labels: SESSION })).map((c) => c.id)).toEqual(["web", "job-done"]);
    expect(await runtime.listContainers({ labels: { app: "web" } })).toEqual([
      {
        id: "web",
        name: "web",
        image: "docker.io/library/nginx:latest",
        labels: { ...SESSION, app: "web" },
        state: "running",
      },
    ]);
    expect(await runtime.listContainers({ labels: { app: "nothing" } })).toEqual([]);
  });

  it("lists the pre-1.0 generation the same way", async () => {
    const { runtime, runner } = fakeRuntime();
    runner.onRun(LIST, { stdout: fixture("list-pre-1.0.json") });
    expect(await runtime.listContainers({ labels: { role: "agent" } })).toEqual([
      {
        id: "agent-1",
        name: "agent-1",
        image: "docker.io/library/python:3.12-slim",
        labels: { ...SESSION, role: "agent" },
        state: "running",
      },
      {
        id: "agent-2",
        name: "agent-2",
        image: "docker.io/library/python:3.12-slim",
        labels: { role: "agent" },
        state: "exited",
      },
    ]);
  });
});
