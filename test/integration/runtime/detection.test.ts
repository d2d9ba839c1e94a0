import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RuntimeNotFoundError } from "../../../src/errors.js";
import {
  type DetectedEngine,
  type DetectedRuntime,
  type DetectRuntimeOptions,
  detectRuntime,
  pingEngine,
} from "../../../src/runtime/detection/index.js";

const dockerHost = process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock";
const podmanHost = process.env.OPENSHELL_TEST_PODMAN_HOST ?? "unix:///run/podman/podman.sock";
const socketOf = (host: string) => host.replace(/^unix:\/\//, "");

/** Real probes against the engines of this machine; a missing engine fails these tests. */
describe("detectRuntime against the real engines", () => {
  const root = mkdtempSync(join(tmpdir(), "openshell-detect-"));
  // An empty home: no docker CLI config, no Desktop/Colima sockets from the machine's own user.
  const home = join(root, "home");

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function detect(env: Record<string, string>, extra: DetectRuntimeOptions = {}): Promise<DetectedRuntime> {
    return detectRuntime({ env, platform: "linux", homedir: home, uid: undefined, ...extra });
  }

  function asEngine(found: DetectedRuntime): DetectedEngine {
    if (found.kind === "apple-container") throw new Error("expected a Docker-API engine");
    return found;
  }

  it("pings both engines and tells them apart by their answer", async () => {
    const docker = await pingEngine({ kind: "unix", socketPath: socketOf(dockerHost) });
    expect(docker.kind).toBe("docker");
    expect(docker.libpodApiVersion).toBeUndefined();
    const podman = await pingEngine({ kind: "unix", socketPath: socketOf(podmanHost) });
    expect(podman.kind).toBe("podman");
    expect(podman.libpodApiVersion).toMatch(/^\d+\.\d+/);
  });

  it("DOCKER_HOST at the Docker socket is Docker", async () => {
    const found = asEngine(await detect({ DOCKER_HOST: dockerHost }));
    expect(found).toMatchObject({
      kind: "docker",
      source: "DOCKER_HOST",
      endpoint: { kind: "unix", socketPath: socketOf(dockerHost) },
      skipped: [],
    });
    expect(found.apiVersion).toMatch(/^1\.\d+$/);
  });

  it("CONTAINER_HOST at the Podman socket is Podman", async () => {
    const found = asEngine(await detect({ CONTAINER_HOST: podmanHost }));
    expect(found).toMatchObject({
      kind: "podman",
      source: "CONTAINER_HOST",
      endpoint: { kind: "unix", socketPath: socketOf(podmanHost) },
    });
    expect(found.libpodApiVersion).toMatch(/^\d+\.\d+/);
  });

  it("DOCKER_HOST at the Podman socket is detected as Podman", async () => {
    const found = asEngine(await detect({ DOCKER_HOST: podmanHost }));
    expect(found.kind).toBe("podman");
    expect(found.source).toBe("DOCKER_HOST");
  });

  it("OPENSHELL_RUNTIME=docker rejects a DOCKER_HOST that answers as Podman", async () => {
    const found = asEngine(await detect({ OPENSHELL_RUNTIME: "docker", DOCKER_HOST: podmanHost }));
    expect(found.kind).toBe("docker");
    expect(found.source).not.toBe("DOCKER_HOST");
    expect(found.skipped[0]).toEqual({
      runtime: "docker",
      location: podmanHost,
      source: "DOCKER_HOST",
      reason: "answers as podman, not docker (OPENSHELL_RUNTIME=docker)",
    });
  });

  it("OPENSHELL_RUNTIME=podman takes Podman's own variable before a DOCKER_HOST", async () => {
    const found = asEngine(
      await detect({
        OPENSHELL_RUNTIME: "podman",
        DOCKER_HOST: dockerHost,
        OPENSHELL_PODMAN_SOCKET: socketOf(podmanHost),
      }),
    );
    expect(found.kind).toBe("podman");
    expect(found.source).toBe("OPENSHELL_PODMAN_SOCKET");
    expect(found.skipped).toEqual([]);
  });

  it("OPENSHELL_RUNTIME=podman passes over a DOCKER_HOST that answers as Docker", async () => {
    const found = asEngine(await detect({ OPENSHELL_RUNTIME: "podman", DOCKER_HOST: dockerHost }));
    expect(found.kind).toBe("podman");
    expect(found.skipped[0]?.reason).toBe("answers as docker, not podman (OPENSHELL_RUNTIME=podman)");
  });

  it("a dead socket in DOCKER_HOST ends detection, though the default socket answers", async () => {
    const dead = join(root, "dead.sock");
    const notASocket = join(root, "plain-file.sock");
    writeFileSync(notASocket, "");
    const err = await detect({ DOCKER_HOST: `unix://${dead}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    expect((err as RuntimeNotFoundError).probes).toEqual([
      {
        runtime: "docker",
        location: `unix://${dead}`,
        source: "DOCKER_HOST",
        reason: `no socket at ${dead} [ENOENT]`,
      },
    ]);

    const refused = await detect({ DOCKER_HOST: `unix://${notASocket}` }).catch((e: unknown) => e);
    expect((refused as RuntimeNotFoundError).probes[0]?.reason).toMatch(/nothing accepts connections/);
  });

  it("throws RuntimeNotFoundError listing every real probe when nothing answers", async () => {
    const err = await detect(
      { OPENSHELL_RUNTIME: "podman", TMPDIR: root, XDG_DATA_HOME: join(root, "data") },
      { platform: "darwin" },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    const { probes, message } = err as RuntimeNotFoundError;
    expect(probes.map((p) => p.source)).toEqual(["podman machine"]);
    expect(message).toContain(
      `podman at unix://${join(root, "data")}/containers/podman/machine/podman.sock (podman machine): no socket at`,
    );
    expect(message).toContain("podman machine start");
  });

  it("a dead CONTAINER_HOST ends detection with what to do", async () => {
    const dead = join(root, "nothing-here.sock");
    const err = await detect({ OPENSHELL_RUNTIME: "podman", CONTAINER_HOST: `unix://${dead}` }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    const { probes, message } = err as RuntimeNotFoundError;
    expect(probes.map((p) => p.source)).toEqual(["CONTAINER_HOST"]);
    expect(message).toContain(
      `The Podman engine that CONTAINER_HOST names is unavailable: unix://${dead}: no socket at ${dead} [ENOENT].`,
    );
    expect(message).toContain("unset CONTAINER_HOST");
  });
});
