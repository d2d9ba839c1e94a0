import { readFileSync } from "node:fs";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppleContainerRuntime } from "../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import {
  type EmulatedAppleContainer,
  emulatedAppleContainer,
} from "../../support/apple-container-emulator/index.js";
import { testImages } from "../../support/test-engines.js";

/*
 * The emulator of Apple's `container` CLI (test/support/apple-container-emulator) answers as the CLI
 * release it plays: what its commands print and do, checked on the Docker engine that carries them out.
 */

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/apple-container/${name}`, import.meta.url), "utf8");
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const image = testImages.busybox;

describe("Apple container CLI emulator 1.1.0", () => {
  let emulator: EmulatedAppleContainer;
  const cli = (...args: string[]) => emulator.runner.run("container", args);
  const json = async (...args: string[]) => {
    const result = await cli(...args);
    expect(result.exitCode, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown>[];
  };
  const untilLogs = async (id: string, wanted: string) => {
    for (let i = 0; i < 50; i++) {
      const { stdout } = await cli("logs", id);
      if (stdout === wanted) return stdout;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return (await cli("logs", id)).stdout;
  };

  beforeAll(async () => {
    emulator = await emulatedAppleContainer({ version: "1.1.0" });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it("prints the release's version banner, and the driver connects to it", async () => {
    expect((await cli("--version")).stdout).toBe(fixture("version.txt"));
    const runtime = await AppleContainerRuntime.connect({ runner: emulator.runner, darwinRelease: "25.0.0" });
    expect(runtime.cliVersion).toBe("1.1.0");
    expect(runtime.capabilities.has("internal-networks")).toBe(true);
  });

  it("refuses an unknown subcommand or option with ArgumentParser's usage error, creating nothing", async () => {
    const unknown = await cli("frobnicate");
    expect(unknown.exitCode).toBe(64);
    expect(unknown.stderr).toMatch(/^Error: Unexpected argument 'frobnicate'\nUsage: /);
    const option = await cli("create", "--no-such-flag", image, "true");
    expect(option.exitCode).toBe(64);
    expect(option.stderr).toMatch(/^Error: Unknown option '--no-such-flag'\n/);
    expect(await json("list", "--all", "--format", "json")).toEqual([]);
  });

  it("creates, starts and lists a container as 1.x does: names are ids, no exit code, stopped when done", async () => {
    expect((await cli("create", "--name", "emu-one", "-l", "k=v", image, "sh", "-c", "exit 3")).stdout).toBe(
      "emu-one\n",
    );
    const [created] = await json("list", "--all", "--format", "json");
    expect(created).toMatchObject({
      id: "emu-one",
      configuration: { id: "emu-one", labels: { k: "v" }, image: { reference: `docker.io/${image}` } },
      status: { state: "stopped", networks: [] },
    });
    // Never started: no startedDate, which is how the driver tells "created" from "exited".
    expect(Object.keys(created?.status ?? {})).toEqual(["networks", "state"]);
    expect((await cli("start", "emu-one")).stdout).toBe("emu-one\n");
    await docker.getContainer(`ace-${emulator.instance}-emu-one`).wait();
    const [ran] = await json("list", "--all", "--format", "json");
    expect(ran?.status).toMatchObject({ state: "stopped", startedDate: expect.stringMatching(/Z$/) });
    // No release reports an exit code: neither does the emulator.
    expect(Object.keys(ran?.status ?? {})).toEqual(["networks", "startedDate", "state"]);
    expect(await json("list", "--format", "json")).toEqual([]);
  });

  it("records bind and tmpfs mounts in the container's configuration", async () => {
    await cli(
      "create",
      "--name",
      "emu-mounts",
      "--mount",
      "type=bind,source=/tmp,target=/host,readonly",
      "--mount",
      "type=tmpfs,target=/scratch,size=8M",
      image,
      "sleep",
      "30",
    );
    const [record] = await json("inspect", "emu-mounts");
    expect((record?.configuration as { mounts: unknown[] } | undefined)?.mounts).toEqual([
      { destination: "/host", options: ["ro"], source: "/tmp", type: { virtiofs: {} } },
      { destination: "/scratch", options: [], source: "", type: { tmpfs: {} } },
    ]);
    await cli("start", "emu-mounts");
    expect(
      (await cli("exec", "emu-mounts", "sh", "-c", "grep -c ' /scratch tmpfs' /proc/mounts")).stdout,
    ).toBe("1\n");
    await cli("delete", "--force", "emu-mounts");
  });

  it("answers with the CLI's error texts and exit codes", async () => {
    await cli("create", "--name", "emu-dup", image, "true");
    // `create` gets the API server's words; `run` checks first, in its own (the fixture's).
    expect(await cli("create", "--name", "emu-dup", image, "true")).toMatchObject({
      exitCode: 1,
      stderr: 'Error: exists: "container already exists: emu-dup"\n',
    });
    expect(await cli("run", "-d", "--name", "emu-dup", image, "true")).toMatchObject({
      exitCode: 1,
      stderr: fixture("stderr-already-exists.txt").replace("web", "emu-dup"),
    });
    expect(await cli("start", "ghost")).toMatchObject({
      exitCode: 1,
      stderr: fixture("stderr-not-found.txt"),
    });
    expect(await cli("stop", "ghost")).toMatchObject({
      exitCode: 1,
      stderr: fixture("stderr-no-such-container.txt"),
    });
    expect(await cli("create", "-l", "a=b=c", image, "true")).toMatchObject({
      exitCode: 1,
      stderr: 'Error: invalidArgument: "invalid label value: a=b=c"\n',
    });
    expect(await cli("image", "inspect", "openshell-test/ghost:1")).toMatchObject({
      exitCode: 1,
      stderr: fixture("stderr-image-inspect-not-found.txt"),
    });
  });

  it("keeps one log of stdout and stderr, without timestamps, holding only the current run", async () => {
    await cli(
      "create",
      "--name",
      "emu-log",
      image,
      "sh",
      "-c",
      "echo out; sleep 0.2; echo err >&2; sleep 30",
    );
    await cli("start", "emu-log");
    expect(await untilLogs("emu-log", "out\nerr\n")).toBe("out\nerr\n");
    expect((await cli("logs", "-n", "1", "emu-log")).stdout).toBe("err\n");
    await cli("stop", "-t", "0", "emu-log");
    expect((await cli("logs", "emu-log")).stdout).toBe("out\nerr\n");
    await cli("start", "emu-log");
    // Started again: the first run's lines are gone, as Apple's runtime truncates the log.
    expect(await untilLogs("emu-log", "out\nerr\n")).toBe("out\nerr\n");
    await cli("delete", "--force", "emu-log");
  });

  it("follows a log, not ending when the container stops; an empty log ends at once, as 1.1.0's logs -f does", async () => {
    await cli("create", "--name", "emu-quiet", image, "sleep", "30");
    await cli("start", "emu-quiet");
    const quiet = emulator.runner.spawn("container", ["logs", "-f", "emu-quiet"]);
    expect(await quiet.exit).toBe(0);

    await cli("create", "--name", "emu-follow", image, "sh", "-c", "echo a; sleep 0.3; echo b; sleep 0.3");
    await cli("start", "emu-follow");
    await untilLogs("emu-follow", "a\n");
    const follow = emulator.runner.spawn("container", ["logs", "-f", "emu-follow"]);
    let text = "";
    follow.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    await docker.getContainer(`ace-${emulator.instance}-emu-follow`).wait();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(text).toBe("a\nb\n");
    follow.kill("SIGTERM");
    expect(await follow.exit).toBe(143);
    await cli("delete", "--force", "emu-quiet");
  });

  it("makes --internal networks Docker internal ones, listed hostOnly with Docker's subnet and gateway", async () => {
    expect((await cli("network", "create", "--internal", "--label", "x=y", "emu-net")).stdout).toBe(
      "emu-net\n",
    );
    const dockerNetwork = await docker.getNetwork(`ace-${emulator.instance}-emu-net`).inspect();
    expect(dockerNetwork.Internal).toBe(true);
    const ipam = dockerNetwork.IPAM?.Config?.[0];
    const listed = (await json("network", "list", "--format", "json")).find((n) => n.id === "emu-net");
    expect(listed).toEqual({
      configuration: {
        creationDate: expect.stringMatching(/Z$/),
        labels: { x: "y" },
        mode: "hostOnly",
        name: "emu-net",
        options: {},
        plugin: "container-network-vmnet",
      },
      id: "emu-net",
      status: { ipv4Gateway: ipam?.Gateway, ipv4Subnet: ipam?.Subnet },
    });
    const inspected = await cli("network", "inspect", "emu-net");
    expect(inspected.stdout).toContain('"mode" : "hostOnly"');
    expect(inspected.stdout).toContain(`"ipv4Subnet" : "${ipam?.Subnet?.replace("/", "\\/")}"`);

    await cli("create", "--name", "emu-attached", "--network", "emu-net", image, "sleep", "30");
    await cli("start", "emu-attached");
    const [record] = await json("inspect", "emu-attached");
    const [attachment] =
      (record?.status as { networks: Record<string, unknown>[] } | undefined)?.networks ?? [];
    expect(attachment).toMatchObject({
      network: "emu-net",
      hostname: "emu-attached",
      ipv4Address: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+\/\d+$/),
      ipv4Gateway: ipam?.Gateway,
      variant: "reserved",
    });
    expect(await cli("network", "delete", "emu-net")).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: 'Error: internalError: "delete failed for one or more networks: [\\"emu-net\\"]"\n',
    });
    await cli("delete", "--force", "emu-attached");
    expect(await cli("network", "delete", "emu-net")).toEqual({
      exitCode: 0,
      stdout: "emu-net\n",
      stderr: "",
    });
    expect(await cli("network", "delete", "emu-net")).toMatchObject({
      exitCode: 1,
      stderr: 'Error: notFound: "failed to delete one or more networks: [\\"emu-net\\"]"\n',
    });
    expect(await cli("network", "delete", "default")).toMatchObject({
      exitCode: 1,
      stderr: 'Error: invalidArgument: "cannot delete a builtin network: default"\n',
    });
  });

  it("execs buffered, with stdin (-i), and in a terminal (-t) without one, but not -i -t from a pipe", async () => {
    await cli("create", "--name", "emu-exec", image, "sleep", "60");
    await cli("start", "emu-exec");
    expect(await cli("exec", "emu-exec", "sh", "-c", "echo out; echo err >&2; exit 4")).toEqual({
      exitCode: 4,
      stdout: "out\n",
      stderr: "err\n",
    });
    expect(
      await emulator.runner.run("container", ["exec", "-i", "emu-exec", "cat"], { stdin: "piped\n" }),
    ).toEqual({
      exitCode: 0,
      stdout: "piped\n",
      stderr: "",
    });
    const tty = await cli("exec", "-t", "emu-exec", "sh", "-c", "test -t 1 && echo terminal >&2");
    // One terminal stream: stderr arrives on stdout, with the terminal's CRLF.
    expect(tty).toEqual({ exitCode: 0, stdout: "terminal\r\n", stderr: "" });
    // -i -t makes the CLI put its own stdin in raw mode, which a pipe cannot be.
    const both = await emulator.runner.run("container", ["exec", "-i", "-t", "emu-exec", "cat"], {
      stdin: "x",
    });
    expect(both.exitCode).toBe(1);
    expect(both.stderr).toMatch(
      /^Error: internalError: "failed to exec process .*Inappropriate ioctl for device/,
    );
    await cli("stop", "-t", "0", "emu-exec");
    expect(await cli("exec", "emu-exec", "true")).toMatchObject({ exitCode: 1 });
  });

  it("builds, tags, pulls and deletes images through the driver, deleting only what it made", async () => {
    const runtime = await AppleContainerRuntime.connect({ runner: emulator.runner, darwinRelease: "25.0.0" });
    const progress: string[] = [];
    const built = await runtime.buildImage({
      tag: "openshell-test/emu-built:1",
      dockerfileText: `FROM ${image}\nRUN echo built > /built\n`,
      labels: { "test.openshell.ai/emulator": "yes" },
      onProgress: (event) => progress.push(event.message),
    });
    expect(built.tags).toEqual(["docker.io/openshell-test/emu-built:1"]);
    expect(built.labels).toMatchObject({ "test.openshell.ai/emulator": "yes", ...runtime.sessionLabels });
    expect(progress.length).toBeGreaterThan(0);
    await runtime.tagImage("openshell-test/emu-built:1", "openshell-test/emu-tagged:1");
    expect(await runtime.hasImage("openshell-test/emu-tagged:1")).toBe(true);
    await runtime.removeImage("openshell-test/emu-tagged:1");
    expect(await runtime.hasImage("openshell-test/emu-tagged:1")).toBe(false);
    await runtime.removeImage("openshell-test/emu-tagged:1", { force: true });
    // The machine's test images are not the emulator's to delete.
    await expect(runtime.removeImage(image)).rejects.toThrow(/did not make/);
    expect(await runtime.hasImage(image)).toBe(true);
    // The local registry scripts/engines.sh runs holds the busybox image.
    const pulled = await runtime.pullImage("127.0.0.1:5000/openshell-test/busybox:1");
    expect(pulled.tags).toEqual(["127.0.0.1:5000/openshell-test/busybox:1"]);
    await expect(runtime.pullImage("127.0.0.1:5000/openshell-test/ghost:1")).rejects.toMatchObject({
      code: "not_found",
    });
    await runtime.removeImage("openshell-test/emu-built:1");
    await runtime.close();
  });

  it("answers as a CLI whose system service is down when its Docker engine cannot be reached", async () => {
    const down = await emulatedAppleContainer({
      version: "1.1.0",
      docker: { kind: "unix", socketPath: "/nonexistent/docker.sock" },
    });
    const status = await down.runner.run("container", ["system", "status", "--format", "json"]);
    expect(status.exitCode).toBe(1);
    expect(JSON.parse(status.stdout)).toEqual(JSON.parse(fixture("system-status-not-running.json")));
    expect(await down.runner.run("container", ["list", "--all", "--format", "json"])).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: fixture("stderr-not-running.txt"),
    });
    const error = await AppleContainerRuntime.connect({ runner: down.runner, darwinRelease: "25.0.0" }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      /system service is not running\. Start it with `container system start`/,
    );
    await expect(down.close()).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("close() removes what it made, and nothing else", async () => {
    const other = await emulatedAppleContainer({ version: "1.1.0" });
    await other.runner.run("container", ["create", "--name", "emu-gone", image, "true"]);
    await other.runner.run("container", ["network", "create", "emu-gone-net"]);
    await other.runner.run("container", ["volume", "create", "emu-gone-vol"]);
    await cli("create", "--name", "emu-kept", image, "true");
    await other.close();
    const filters = { label: [`openshell-test.emulator.instance=${other.instance}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
    expect((await json("list", "--all", "--format", "json")).map((c) => c.id)).toContain("emu-kept");
  });
});
