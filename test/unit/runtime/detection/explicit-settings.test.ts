import { describe, expect, it } from "vitest";
import { RuntimeNotFoundError, UnavailableError } from "../../../../src/errors.js";
import {
  type DetectRuntimeOptions,
  detectRuntime,
  type EnginePing,
  type PingFunction,
} from "../../../../src/runtime/detection/index.js";
import { describeEndpoint } from "../../../../src/runtime/engine-endpoint.js";
import { type FakeMachine, fakeContext } from "./fake-context.js";

const docker: EnginePing = { kind: "docker", apiVersion: "1.43" };
const podman: EnginePing = { kind: "podman", apiVersion: "1.41", libpodApiVersion: "4.9.3" };

/** Every default socket of a Linux user answers: a detection that reaches them has fallen back. */
const defaults: Record<string, EnginePing> = {
  "unix:///var/run/docker.sock": docker,
  "unix:///run/podman/podman.sock": podman,
  "unix:///run/user/1000/podman/podman.sock": podman,
};

/** A ping that answers at the listed places and finds no socket anywhere else; it records calls. */
function fakePing(answers: Record<string, EnginePing>): PingFunction & { calls: string[] } {
  const calls: string[] = [];
  const ping: PingFunction = async (endpoint) => {
    const where = describeEndpoint(endpoint);
    calls.push(where);
    const answer = answers[where];
    if (answer) return answer;
    const path = where.replace("unix://", "");
    throw new UnavailableError(`${where}: no socket at ${path} [ENOENT]`);
  };
  return Object.assign(ping, { calls });
}

const linuxUser: FakeMachine = { platform: "linux", homedir: "/home/me", uid: 1000, env: {} };

async function detectFailure(env: Record<string, string>, options: DetectRuntimeOptions = {}) {
  const ping = fakePing(defaults);
  const error = await detectRuntime({ ...fakeContext({ ...linuxUser, env }), ping, ...options }).then(
    (found) => new Error(`expected RuntimeNotFoundError, but detection chose ${JSON.stringify(found)}`),
    (e: unknown) => e,
  );
  if (!(error instanceof RuntimeNotFoundError)) throw error;
  return { error, ping };
}

/** sha256("remote"): where the docker CLI keeps the context named "remote". */
const remoteContextMeta =
  "/home/me/.docker/contexts/meta/b71199ebd070b36beab7317920c2c2f1d777df8d05e5527d8458fda57cb17a7a/meta.json";

describe("detectRuntime: a setting that names an engine is the only place looked at", () => {
  it("DOCKER_HOST that does not answer fails naming it, without falling back to the default socket", async () => {
    for (const [runtime, engine] of [
      ["docker", "Docker engine"],
      ["auto", "container engine"],
    ] as const) {
      const { error, ping } = await detectFailure({ DOCKER_HOST: "unix:///srv/gone.sock" }, { runtime });
      expect(ping.calls).toEqual(["unix:///srv/gone.sock"]);
      expect(error.code).toBe("runtime_not_found");
      expect(error.probes).toEqual([
        {
          runtime: "docker",
          location: "unix:///srv/gone.sock",
          source: "DOCKER_HOST",
          reason: "no socket at /srv/gone.sock [ENOENT]",
        },
      ]);
      const [headline, ...rest] = error.message.split("\n");
      expect(headline).toBe(
        `The ${engine} that DOCKER_HOST names is unavailable: unix:///srv/gone.sock: no socket at /srv/gone.sock [ENOENT].`,
      );
      expect(rest.join("\n")).toContain("does not fall back to another engine");
      expect(rest.join("\n")).toContain("start the engine at unix:///srv/gone.sock, or correct DOCKER_HOST");
      expect(rest.join("\n")).toContain("unset DOCKER_HOST");
    }
  });

  it("hides a password in the setting's URL", async () => {
    const { error } = await detectFailure({ DOCKER_HOST: "tcp://admin:hunter2@engine:2375" });
    expect(error.message).toContain("tcp://engine:2375");
    expect(error.message).not.toContain("hunter2");
    const malformed = await detectFailure({ DOCKER_HOST: "tcpx://admin:hunter2@engine:2375" });
    expect(malformed.error.message).toContain("admin:***@engine");
    expect(malformed.error.message).not.toContain("hunter2");
  });

  it("a malformed DOCKER_HOST fails too, rather than being passed over", async () => {
    const { error, ping } = await detectFailure({ DOCKER_HOST: "localhost:2375" });
    expect(ping.calls).toEqual([]);
    expect(error.probes[0]).toMatchObject({
      source: "DOCKER_HOST",
      reason: expect.stringContaining("has no scheme"),
    });
    expect(error.message.split("\n")[0]).toMatch(
      /^The container engine that DOCKER_HOST names cannot be used: /,
    );
  });

  it("CONTAINER_HOST and OPENSHELL_PODMAN_SOCKET bind Podman the same way", async () => {
    const container = await detectFailure(
      { CONTAINER_HOST: "unix:///srv/podman-gone.sock" },
      { runtime: "podman" },
    );
    expect(container.ping.calls).toEqual(["unix:///srv/podman-gone.sock"]);
    expect(container.error.message.split("\n")[0]).toBe(
      "The Podman engine that CONTAINER_HOST names is unavailable: unix:///srv/podman-gone.sock: no socket at /srv/podman-gone.sock [ENOENT].",
    );
    expect(container.error.message).toContain("unset CONTAINER_HOST");

    const socket = await detectFailure({
      OPENSHELL_PODMAN_SOCKET: "/srv/p.sock",
      OPENSHELL_RUNTIME: "podman",
    });
    expect(socket.ping.calls).toEqual(["unix:///srv/p.sock"]);
    expect(socket.error.probes.map((p) => p.source)).toEqual(["OPENSHELL_PODMAN_SOCKET"]);
    expect(socket.error.message).toContain("podman system service --time=0 unix:///srv/p.sock");
  });

  it("DOCKER_CONTEXT, and the current context of the docker CLI, bind detection too", async () => {
    const files = {
      [remoteContextMeta]: JSON.stringify({ Endpoints: { docker: { Host: "tcp://build-box:2375" } } }),
    };
    for (const [env, source] of [
      [{ DOCKER_CONTEXT: "remote" }, 'docker context "remote" from DOCKER_CONTEXT'],
      [{}, 'docker context "remote" from currentContext in /home/me/.docker/config.json'],
    ] as const) {
      const ping = fakePing(defaults);
      const error = await detectRuntime({
        ...fakeContext({
          ...linuxUser,
          env,
          files: { ...files, "/home/me/.docker/config.json": JSON.stringify({ currentContext: "remote" }) },
        }),
        ping,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntimeNotFoundError);
      expect(ping.calls).toEqual(["tcp://build-box:2375"]);
      expect((error as RuntimeNotFoundError).probes.map((p) => p.source)).toEqual([source]);
      expect((error as Error).message).toContain("docker context use");
    }
  });

  it("DOCKER_HOST overrides the docker context, as in the docker CLI", async () => {
    const ping = fakePing({ ...defaults, "unix:///srv/d.sock": docker });
    const found = await detectRuntime({
      ...fakeContext({
        ...linuxUser,
        env: { DOCKER_HOST: "unix:///srv/d.sock", DOCKER_CONTEXT: "remote" },
        files: {
          [remoteContextMeta]: JSON.stringify({ Endpoints: { docker: { Host: "tcp://build-box:2375" } } }),
        },
      }),
      ping,
    });
    expect(found).toMatchObject({ kind: "docker", source: "DOCKER_HOST", skipped: [] });
    expect(ping.calls).toEqual(["unix:///srv/d.sock"]);
  });

  it("with Podman chosen, Podman's own variables come before Docker's", async () => {
    const ping = fakePing({ ...defaults, "unix:///srv/podman.sock": podman });
    const found = await detectRuntime({
      ...fakeContext({
        ...linuxUser,
        env: { DOCKER_HOST: "unix:///srv/docker-gone.sock", CONTAINER_HOST: "unix:///srv/podman.sock" },
      }),
      ping,
      runtime: "podman",
    });
    expect(found).toMatchObject({ kind: "podman", source: "CONTAINER_HOST" });
  });

  it("a setting that answers as the other engine names that engine: the chosen one is looked for as usual", async () => {
    const ping = fakePing({ ...defaults, "unix:///srv/d.sock": docker });
    const found = await detectRuntime({
      ...fakeContext({
        ...linuxUser,
        env: { DOCKER_HOST: "unix:///srv/d.sock", OPENSHELL_RUNTIME: "podman" },
      }),
      ping,
    });
    expect(found).toMatchObject({ kind: "podman", source: "rootful Podman socket" });
    expect(found.skipped).toEqual([
      {
        runtime: "podman",
        location: "unix:///srv/d.sock",
        source: "DOCKER_HOST",
        reason: "answers as docker, not podman (OPENSHELL_RUNTIME=podman)",
      },
    ]);
  });

  it("with nothing set, the default places are probed", async () => {
    const ping = fakePing(defaults);
    const found = await detectRuntime({ ...fakeContext(linuxUser), ping, runtime: "docker" });
    expect(found).toMatchObject({ kind: "docker", source: "default Docker socket" });
  });
});
