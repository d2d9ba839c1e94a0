import { describe, expect, it } from "vitest";
import { dockerSocketStrategy } from "../../../../src/runtime/detection/docker-socket-strategy.js";
import type { Proposal } from "../../../../src/runtime/detection/engine-candidate.js";
import { podmanSocketStrategy } from "../../../../src/runtime/detection/podman-socket-strategy.js";
import { fakeContext } from "./fake-context.js";

function sockets(proposals: Proposal[]): string[] {
  return proposals.map((p) =>
    p.type === "endpoint" && p.endpoint.kind === "unix" ? p.endpoint.socketPath : "?",
  );
}

describe("dockerSocketStrategy", () => {
  it("lists the Linux sockets in order", async () => {
    const proposals = await dockerSocketStrategy(
      fakeContext({
        platform: "linux",
        homedir: "/home/me",
        uid: 1000,
        env: { XDG_RUNTIME_DIR: "/run/user/1000" },
      }),
    );
    expect(sockets(proposals)).toEqual([
      "/var/run/docker.sock",
      "/run/user/1000/docker.sock",
      "/home/me/.docker/desktop/docker.sock",
      "/run/user/1000/docker.sock",
      "/home/me/.colima/default/docker.sock",
      "/home/me/.rd/docker.sock",
    ]);
    expect(proposals.map((p) => p.source)).toEqual([
      "default Docker socket",
      "rootless Docker in XDG_RUNTIME_DIR",
      "Docker Desktop",
      "rootless Docker",
      "Colima",
      "Rancher Desktop",
    ]);
    expect(proposals.every((p) => p.engines.join() === "docker")).toBe(true);
  });

  it("lists the macOS sockets: Docker Desktop's ~/.docker/run, no /run/user", async () => {
    const proposals = await dockerSocketStrategy(
      fakeContext({
        platform: "darwin",
        homedir: "/Users/me",
        uid: 501,
        env: { COLIMA_HOME: "/opt/colima" },
      }),
    );
    expect(sockets(proposals)).toEqual([
      "/var/run/docker.sock",
      "/Users/me/.docker/run/docker.sock",
      "/opt/colima/default/docker.sock",
      "/Users/me/.rd/docker.sock",
    ]);
  });

  it("ignores a relative XDG_RUNTIME_DIR and a missing uid; has nothing on Windows", async () => {
    const proposals = await dockerSocketStrategy(
      fakeContext({ platform: "linux", uid: undefined, env: { XDG_RUNTIME_DIR: "run/me" } }),
    );
    expect(sockets(proposals).some((s) => s.includes("run/me") || s.startsWith("/run/user"))).toBe(false);
    expect(await dockerSocketStrategy(fakeContext({ platform: "win32" }))).toEqual([]);
  });
});

describe("podmanSocketStrategy", () => {
  it("lists rootful then rootless sockets on Linux", async () => {
    const proposals = await podmanSocketStrategy(
      fakeContext({ platform: "linux", uid: 1000, env: { XDG_RUNTIME_DIR: "/xdg" } }),
    );
    expect(sockets(proposals)).toEqual([
      "/run/podman/podman.sock",
      "/xdg/podman/podman.sock",
      "/run/user/1000/podman/podman.sock",
    ]);
    expect(proposals.map((p) => p.source)).toEqual([
      "rootful Podman socket",
      "rootless Podman in XDG_RUNTIME_DIR",
      "rootless Podman",
    ]);
    expect(proposals.every((p) => p.engines.join() === "podman")).toBe(true);
  });

  it("finds podman machine sockets on macOS, the default machine first", async () => {
    const machine = "/Users/me/.local/share/containers/podman/machine";
    const proposals = await podmanSocketStrategy(
      fakeContext({
        platform: "darwin",
        homedir: "/Users/me",
        env: { TMPDIR: "/var/folders/xy/T" },
        files: {
          "/var/folders/xy/T/podman/aaa-api.sock": "",
          "/var/folders/xy/T/podman/podman-machine-default-api.sock": "",
          "/var/folders/xy/T/podman/podman-machine-default.sock": "",
          [`${machine}/qemu/podman.sock`]: "",
          [`${machine}/applehv/podman-machine-default.json`]: "",
          [`${machine}/applehv/podman-machine-default-api.sock`]: "",
        },
      }),
    );
    expect(sockets(proposals)).toEqual([
      "/var/folders/xy/T/podman/podman-machine-default-api.sock",
      "/var/folders/xy/T/podman/aaa-api.sock",
      `${machine}/podman.sock`,
      `${machine}/applehv/podman-machine-default-api.sock`,
      `${machine}/qemu/podman.sock`,
    ]);
    expect(new Set(proposals.map((p) => p.source))).toEqual(new Set(["podman machine"]));
  });

  it("honours XDG_DATA_HOME for the machine folder and proposes nothing on Windows", async () => {
    const proposals = await podmanSocketStrategy(
      fakeContext({ platform: "darwin", env: { XDG_DATA_HOME: "/data" } }),
    );
    expect(sockets(proposals)).toEqual(["/data/containers/podman/machine/podman.sock"]);
    expect(await podmanSocketStrategy(fakeContext({ platform: "win32" }))).toEqual([]);
  });
});
