import { describe, expect, it } from "vitest";
import {
  CanceledError,
  InvalidArgumentError,
  RuntimeNotFoundError,
  UnavailableError,
} from "../../../../src/errors.js";
import {
  type CommandRunner,
  type DetectRuntimeOptions,
  detectRuntime,
  type EnginePing,
  type PingFunction,
} from "../../../../src/runtime/detection/index.js";
import { describeEndpoint } from "../../../../src/runtime/engine-endpoint.js";
import { type FakeMachine, fakeContext } from "./fake-context.js";

const docker: EnginePing = { kind: "docker", apiVersion: "1.43" };
const podman: EnginePing = { kind: "podman", apiVersion: "1.41", libpodApiVersion: "4.9.3" };

/** A ping that answers at the listed locations and finds no socket anywhere else; it records calls. */
function fakePing(answers: Record<string, EnginePing> = {}): PingFunction & { calls: string[] } {
  const calls: string[] = [];
  const ping: PingFunction = async (endpoint) => {
    const where = describeEndpoint(endpoint);
    calls.push(where);
    const answer = answers[where];
    if (answer) return answer;
    throw new UnavailableError(`${where}: no socket at ${where.replace("unix://", "")}`);
  };
  return Object.assign(ping, { calls });
}

function appleRunner(stdout: string | "missing", exitCode = 0): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async run(command, args) {
      calls.push([command, ...args]);
      if (stdout === "missing") throw Object.assign(new Error("spawn container ENOENT"), { code: "ENOENT" });
      return { exitCode, stdout, stderr: "" };
    },
    spawn() {
      throw new Error("detection does not spawn");
    },
  };
}

function detect(machine: FakeMachine, options: Omit<DetectRuntimeOptions, keyof FakeMachine> = {}) {
  return detectRuntime({ ...fakeContext(machine), runner: appleRunner("missing"), ...options });
}

const linuxUser: FakeMachine = { platform: "linux", homedir: "/home/me", uid: 1000, env: {} };

describe("detectRuntime: order", () => {
  it("takes settings in the documented order, pinging them side by side and no default place", async () => {
    const settings = {
      DOCKER_CONTEXT: "ctx",
      CONTAINER_HOST: "tcp://container-host:8080",
      OPENSHELL_PODMAN_SOCKET: "/srv/podman.sock",
    };
    const files = {
      // sha256("ctx")
      "/home/me/.docker/contexts/meta/0230c6b1d833c51cc426492022677b74c60d82891931221a42db9e7bb06205e9/meta.json":
        JSON.stringify({ Endpoints: { docker: { Host: "tcp://ctx-host:2375" } } }),
    };
    const answers = {
      "tcp://ctx-host:2375": podman,
      "tcp://container-host:8080": podman,
      "unix:///srv/podman.sock": podman,
      "unix:///var/run/docker.sock": docker,
    };
    const ping = fakePing(answers);
    const first = await detect({ ...linuxUser, env: settings, files }, { ping });
    expect(first.source).toBe('docker context "ctx" from DOCKER_CONTEXT');
    expect(ping.calls).toEqual([
      "tcp://ctx-host:2375",
      "tcp://container-host:8080",
      "unix:///srv/podman.sock",
    ]);
    const withoutContext = await detect(
      { ...linuxUser, env: { ...settings, DOCKER_CONTEXT: "" }, files },
      { ping: fakePing(answers) },
    );
    expect(withoutContext.source).toBe("CONTAINER_HOST");
    const socketOnly = await detect(
      { ...linuxUser, env: { OPENSHELL_PODMAN_SOCKET: "/srv/podman.sock" } },
      { ping: fakePing(answers) },
    );
    expect(socketOnly.source).toBe("OPENSHELL_PODMAN_SOCKET");
  });

  it("probes the default places in the documented order when no setting names an engine", async () => {
    const ping = fakePing();
    const err = await detect({ ...linuxUser, env: { XDG_RUNTIME_DIR: "/xdg" } }, { ping }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    expect(ping.calls).toEqual([
      "unix:///var/run/docker.sock",
      "unix:///xdg/docker.sock",
      "unix:///home/me/.docker/desktop/docker.sock",
      "unix:///run/user/1000/docker.sock",
      "unix:///home/me/.colima/default/docker.sock",
      "unix:///home/me/.rd/docker.sock",
      "unix:///run/podman/podman.sock",
      "unix:///xdg/podman/podman.sock",
      "unix:///run/user/1000/podman/podman.sock",
    ]);
  });

  it("takes the first place that answers, listing the ones before it as skipped", async () => {
    const ping = fakePing({
      "unix:///run/podman/podman.sock": podman,
      "unix:///home/me/.rd/docker.sock": docker,
    });
    const found = await detect(linuxUser, { ping });
    expect(found).toMatchObject({
      kind: "docker",
      source: "Rancher Desktop",
      endpoint: { kind: "unix", socketPath: "/home/me/.rd/docker.sock" },
      apiVersion: "1.43",
    });
    expect(found.skipped.map((p) => p.source)).toEqual([
      "default Docker socket",
      "Docker Desktop",
      "rootless Docker",
      "Colima",
    ]);
    expect(found.skipped[0]).toEqual({
      runtime: "docker",
      location: "unix:///var/run/docker.sock",
      source: "default Docker socket",
      reason: "no socket at /var/run/docker.sock",
    });
  });

  it("lets the ping decide the kind when none was chosen", async () => {
    const ping = fakePing({ "unix:///var/run/docker.sock": podman });
    const found = await detect(linuxUser, { ping });
    expect(found).toMatchObject({
      kind: "podman",
      source: "default Docker socket",
      libpodApiVersion: "4.9.3",
    });
  });

  it("probes a place proposed twice once, under its first rule", async () => {
    const ping = fakePing();
    await detect(
      {
        ...linuxUser,
        env: { XDG_RUNTIME_DIR: "/run/user/1000" },
        links: { "/run/podman/podman.sock": "/var/run/docker.sock" },
      },
      { ping },
    ).catch(() => undefined);
    expect(ping.calls.filter((c) => c === "unix:///var/run/docker.sock")).toHaveLength(1);
    expect(ping.calls.filter((c) => c === "unix:///run/user/1000/docker.sock")).toHaveLength(1);
    expect(ping.calls).not.toContain("unix:///run/podman/podman.sock");
    // A setting naming a default socket is that setting: probed once, under its name, and binding.
    const once = fakePing();
    const err = await detect(
      { ...linuxUser, env: { DOCKER_HOST: "unix:///var/run/docker.sock" } },
      { ping: once },
    ).catch((e: unknown) => e);
    expect(once.calls).toEqual(["unix:///var/run/docker.sock"]);
    expect((err as RuntimeNotFoundError).probes.map((p) => p.source)).toEqual(["DOCKER_HOST"]);
    const found = await detect(
      { ...linuxUser, env: { DOCKER_HOST: "unix:///var/run/docker.sock" } },
      { ping: fakePing({ "unix:///var/run/docker.sock": docker }) },
    );
    expect(found.source).toBe("DOCKER_HOST");
  });

  it("passes the timeout to each ping, and cuts the others off once one wins", async () => {
    const seen: { timeoutMs: number | undefined; signal: AbortSignal | undefined }[] = [];
    const ping: PingFunction = async (endpoint, options) => {
      seen.push({ timeoutMs: options.timeoutMs, signal: options.signal });
      if (describeEndpoint(endpoint) === "unix:///var/run/docker.sock") return docker;
      return new Promise<EnginePing>(() => {});
    };
    const found = await detect(linuxUser, { ping, timeoutMs: 750 });
    expect(found.kind).toBe("docker");
    expect(seen.every((s) => s.timeoutMs === 750)).toBe(true);
    expect(seen.every((s) => s.signal?.aborted)).toBe(true);
  });

  it("records a rule that fails unexpectedly (an unreadable config) and moves on", async () => {
    const ping = fakePing({ "unix:///var/run/docker.sock": docker });
    const ctx = fakeContext(linuxUser);
    const found = await detectRuntime({
      ...ctx,
      ping,
      readFile: async (file) => {
        throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), {
          code: "EACCES",
          path: file,
        });
      },
    });
    expect(found.skipped[0]).toMatchObject({
      location: "/home/me/.docker/config.json",
      reason: expect.stringContaining("EACCES"),
    });
  });

  it("records a docker config that is not JSON, as the docker CLI warns about it, and moves on", async () => {
    const ping = fakePing({ "unix:///var/run/docker.sock": docker });
    const found = await detect(
      { ...linuxUser, files: { "/home/me/.docker/config.json": "{ not json" } },
      { ping },
    );
    expect(found.source).toBe("default Docker socket");
    expect(found.skipped[0]).toMatchObject({
      location: "/home/me/.docker/config.json",
      reason: expect.stringContaining("not valid JSON"),
    });
  });
});

describe("detectRuntime: choosing a runtime", () => {
  it("OPENSHELL_RUNTIME=podman skips Docker's own sockets and rejects a DOCKER_HOST that is Docker", async () => {
    const ping = fakePing({
      "unix:///var/run/docker.sock": docker,
      "unix:///d.sock": docker,
      "unix:///run/user/1000/podman/podman.sock": podman,
    });
    const found = await detect(
      { ...linuxUser, env: { OPENSHELL_RUNTIME: "podman", DOCKER_HOST: "unix:///d.sock" } },
      { ping },
    );
    expect(found).toMatchObject({ kind: "podman", source: "rootless Podman" });
    expect(ping.calls).toEqual([
      "unix:///d.sock",
      "unix:///run/podman/podman.sock",
      "unix:///run/user/1000/podman/podman.sock",
    ]);
    expect(found.skipped[0]).toEqual({
      runtime: "podman",
      location: "unix:///d.sock",
      source: "DOCKER_HOST",
      reason: "answers as docker, not podman (OPENSHELL_RUNTIME=podman)",
    });
  });

  it("OPENSHELL_RUNTIME=docker skips Podman's places and rejects a DOCKER_HOST that is Podman", async () => {
    const ping = fakePing({
      "unix:///p.sock": podman,
      "unix:///home/me/.colima/default/docker.sock": docker,
    });
    const found = await detect(
      {
        ...linuxUser,
        env: { OPENSHELL_RUNTIME: "docker", DOCKER_HOST: "unix:///p.sock", CONTAINER_HOST: "unix:///c.sock" },
      },
      { ping },
    );
    expect(found).toMatchObject({ kind: "docker", source: "Colima" });
    expect(ping.calls).not.toContain("unix:///c.sock");
    expect(found.skipped[0]?.reason).toBe("answers as podman, not docker (OPENSHELL_RUNTIME=docker)");
  });

  it("takes the option over OPENSHELL_RUNTIME, and reads the OPEN_SHELL_RUNTIME alias", async () => {
    const answers = { "unix:///var/run/docker.sock": docker, "unix:///run/podman/podman.sock": podman };
    const byOption = await detect(
      { ...linuxUser, env: { OPENSHELL_RUNTIME: "docker" } },
      { ping: fakePing(answers), runtime: "podman" },
    );
    expect(byOption.kind).toBe("podman");
    const byAlias = await detect(
      { ...linuxUser, env: { OPEN_SHELL_RUNTIME: "podman" } },
      { ping: fakePing(answers) },
    );
    expect(byAlias.kind).toBe("podman");
    const auto = await detect(
      { ...linuxUser, env: { OPENSHELL_RUNTIME: "podman" } },
      { ping: fakePing(answers), runtime: "auto" },
    );
    expect(auto.kind).toBe("podman");
  });

  it("rejects an unknown runtime before probing anything", async () => {
    const ping = fakePing();
    const err = await detect({ ...linuxUser, env: { OPENSHELL_RUNTIME: "dockerd" } }, { ping }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe("OPENSHELL_RUNTIME");
    expect((err as Error).message).toContain("docker, podman, apple-container");
    expect(ping.calls).toEqual([]);
    const viaAlias = await detect({ ...linuxUser, env: { OPEN_SHELL_RUNTIME: "x" } }, { ping }).catch(
      (e: unknown) => e,
    );
    expect((viaAlias as InvalidArgumentError).field).toBe("OPEN_SHELL_RUNTIME");
    const viaOption = await detect(linuxUser, { ping, runtime: "lxc" as "docker" }).catch((e: unknown) => e);
    expect((viaOption as InvalidArgumentError).field).toBe("runtime");
  });

  it("OPENSHELL_RUNTIME=apple-container runs only the CLI", async () => {
    const ping = fakePing({ "unix:///var/run/docker.sock": docker });
    const runner = appleRunner('{"status":"running"}');
    const found = await detect(
      {
        platform: "darwin",
        homedir: "/Users/me",
        env: { OPENSHELL_RUNTIME: "apple-container", DOCKER_HOST: "unix:///d" },
      },
      { ping, runner },
    );
    expect(found).toEqual({
      kind: "apple-container",
      command: "container",
      source: "OPENSHELL_RUNTIME=apple-container",
      skipped: [],
    });
    expect(ping.calls).toEqual([]);
    expect(runner.calls).toEqual([["container", "system", "status", "--format", "json"]]);
  });

  it("apple-container chosen off macOS fails with that one reason", async () => {
    const err = await detect(linuxUser, { ping: fakePing(), runtime: "apple-container" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    expect((err as RuntimeNotFoundError).probes).toEqual([
      {
        runtime: "apple-container",
        location: "container system status",
        source: "option runtime=apple-container",
        reason: "Apple container runs only on macOS (this is linux)",
      },
    ]);
    expect((err as Error).message).toContain("container system start");
  });
});

describe("detectRuntime: Apple container as the last resort", () => {
  const mac: FakeMachine = { platform: "darwin", homedir: "/Users/me", uid: 501, env: {} };

  it("on macOS, asks the CLI after every engine failed", async () => {
    const runner = appleRunner('{"status":"running"}');
    const found = await detect(mac, { ping: fakePing(), runner });
    expect(found).toMatchObject({
      kind: "apple-container",
      command: "container",
      source: "Apple container CLI",
    });
    expect(found.skipped.map((p) => p.location)).toContain("unix:///Users/me/.docker/run/docker.sock");
  });

  it("does not ask it when an engine answered, nor on Linux", async () => {
    const runner = appleRunner('{"status":"running"}');
    await detect(mac, { ping: fakePing({ "unix:///var/run/docker.sock": docker }), runner });
    await detect(linuxUser, { ping: fakePing(), runner }).catch(() => undefined);
    expect(runner.calls).toEqual([]);
  });

  it("lists a stopped service with the engines when nothing answers", async () => {
    const err = await detect(mac, {
      ping: fakePing(),
      runner: appleRunner('{"status":"not running"}', 1),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    const last = (err as RuntimeNotFoundError).probes.at(-1);
    expect(last).toEqual({
      runtime: "apple-container",
      location: "container system status",
      source: "Apple container CLI",
      reason:
        "the container system service is not running (exit code 1); start it with `container system start`",
    });
  });
});

describe("detectRuntime: when nothing answers", () => {
  it("lists every probe, one line each, and how to fix it", async () => {
    const err = await detect({ ...linuxUser, env: { XDG_RUNTIME_DIR: "/xdg" } }, { ping: fakePing() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    const { probes, message } = err as RuntimeNotFoundError;
    expect(probes.length).toBe(9);
    expect(message.startsWith("No container runtime answered.\nProbed, in order:\n")).toBe(true);
    for (const probe of probes) {
      expect(message).toContain(
        `  - ${probe.runtime} at ${probe.location} (${probe.source}): ${probe.reason}\n`,
      );
    }
    expect(message).toContain(
      "  - docker at unix:///var/run/docker.sock (default Docker socket): no socket at /var/run/docker.sock",
    );
    expect(message).toContain(
      "  - podman at unix:///xdg/podman/podman.sock (rootless Podman in XDG_RUNTIME_DIR)",
    );
    expect(message).toContain("To fix it:");
    expect(message).toContain("DOCKER_HOST");
    expect(message).toContain("CONTAINER_HOST");
    expect(message).toContain("OPENSHELL_RUNTIME=docker|podman|apple-container");
    expect(message).toMatch(/install Docker .* or Podman/);
    expect(message).not.toContain("Apple container");
  });

  it("speaks of the chosen runtime only", async () => {
    const err = await detect(
      { ...linuxUser, env: { OPENSHELL_RUNTIME: "docker" } },
      { ping: fakePing() },
    ).catch((e: unknown) => e);
    const { message, probes } = err as RuntimeNotFoundError;
    expect(message.split("\n")[0]).toBe(
      "No Docker runtime answered (OPENSHELL_RUNTIME=docker limits detection to Docker).",
    );
    expect(probes.every((p) => p.runtime === "docker")).toBe(true);
    expect(message).toContain("install Docker");
    expect(message).toContain("OPENSHELL_RUNTIME=podman");
  });

  it("reports ssh:// endpoints as not probed", async () => {
    const err = await detectRuntime({
      ...fakeContext({
        platform: "win32",
        env: { CONTAINER_HOST: "ssh://core@vm:2222/run/podman/podman.sock" },
      }),
    }).catch((e: unknown) => e);
    expect((err as RuntimeNotFoundError).probes).toEqual([
      {
        runtime: "podman",
        location: "ssh://core@vm:2222",
        source: "CONTAINER_HOST",
        reason: "ssh:// endpoints are not probed; pass it to createRuntime as `endpoint`, with `runtime`",
      },
    ]);
  });

  it("says when there was nothing to probe", async () => {
    const err = await detectRuntime({ ...fakeContext({ platform: "win32" }) }).catch((e: unknown) => e);
    expect((err as RuntimeNotFoundError).probes).toEqual([]);
    expect((err as Error).message).toContain("Nothing to probe on win32");
  });
});

describe("detectRuntime: options", () => {
  it("stops when the signal fires, before or during probing", async () => {
    await expect(detect(linuxUser, { ping: fakePing(), signal: AbortSignal.abort() })).rejects.toThrow(
      CanceledError,
    );
    const controller = new AbortController();
    const ping: PingFunction = (_endpoint, options) =>
      new Promise((_resolve, reject) => {
        options.signal?.addEventListener("abort", () => reject(new CanceledError("ping canceled")));
      });
    const pending = detect(linuxUser, { ping, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toThrow("container runtime detection was canceled");
  });

  it("rejects a timeout that is not a positive number", async () => {
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(detect(linuxUser, { ping: fakePing(), timeoutMs })).rejects.toThrow(
        expect.objectContaining({ field: "timeoutMs" }),
      );
    }
  });
});
