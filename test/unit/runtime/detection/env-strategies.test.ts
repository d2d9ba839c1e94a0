import { describe, expect, it } from "vitest";
import { containerHostStrategy } from "../../../../src/runtime/detection/container-host-strategy.js";
import { dockerHostStrategy } from "../../../../src/runtime/detection/docker-host-strategy.js";
import { podmanSocketEnvStrategy } from "../../../../src/runtime/detection/podman-socket-env-strategy.js";
import { fakeContext } from "./fake-context.js";

describe("dockerHostStrategy", () => {
  it("proposes nothing without DOCKER_HOST (blank counts as unset)", async () => {
    expect(await dockerHostStrategy(fakeContext())).toEqual([]);
    expect(await dockerHostStrategy(fakeContext({ env: { DOCKER_HOST: " " } }))).toEqual([]);
  });

  it("proposes the socket, which either engine may answer", async () => {
    expect(await dockerHostStrategy(fakeContext({ env: { DOCKER_HOST: "unix:///x/podman.sock" } }))).toEqual([
      {
        type: "endpoint",
        engines: ["docker", "podman"],
        endpoint: { kind: "unix", socketPath: "/x/podman.sock" },
        source: "DOCKER_HOST",
      },
    ]);
  });

  it("uses DOCKER_CERT_PATH's ca.pem, cert.pem and key.pem with DOCKER_TLS_VERIFY", async () => {
    const [proposal] = await dockerHostStrategy(
      fakeContext({
        env: { DOCKER_HOST: "tcp://engine:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/certs" },
      }),
    );
    expect(proposal).toMatchObject({
      endpoint: {
        kind: "tcp",
        host: "engine",
        port: 2376,
        tls: {
          caFile: "/certs/ca.pem",
          certFile: "/certs/cert.pem",
          keyFile: "/certs/key.pem",
          verify: true,
        },
      },
    });
  });

  it("defaults the cert path to ~/.docker when only DOCKER_TLS_VERIFY is set (even to 0, as docker does)", async () => {
    for (const verify of ["1", "0"]) {
      const [proposal] = await dockerHostStrategy(
        fakeContext({
          homedir: "/home/ann",
          env: { DOCKER_HOST: "tcp://engine", DOCKER_TLS_VERIFY: verify },
        }),
      );
      expect(proposal).toMatchObject({
        endpoint: { port: 2376, tls: { caFile: "/home/ann/.docker/ca.pem", verify: true } },
      });
    }
  });

  it("turns TLS on without verification for DOCKER_CERT_PATH alone, as docker's client does", async () => {
    const [proposal] = await dockerHostStrategy(
      fakeContext({ env: { DOCKER_HOST: "tcp://engine:2376", DOCKER_CERT_PATH: "/certs" } }),
    );
    expect(proposal).toMatchObject({ endpoint: { tls: { keyFile: "/certs/key.pem", verify: false } } });
  });

  it("uses no TLS for tcp:// without the TLS variables, nor for a socket with them", async () => {
    const [plain] = await dockerHostStrategy(fakeContext({ env: { DOCKER_HOST: "tcp://engine" } }));
    expect(plain).toMatchObject({ endpoint: { kind: "tcp", host: "engine", port: 2375 } });
    expect(plain?.type === "endpoint" && plain.endpoint).not.toHaveProperty("tls");
    const [socket] = await dockerHostStrategy(
      fakeContext({ env: { DOCKER_HOST: "unix:///d.sock", DOCKER_TLS_VERIFY: "1" } }),
    );
    expect(socket).toMatchObject({ endpoint: { kind: "unix", socketPath: "/d.sock" } });
  });

  it("reports a malformed DOCKER_HOST as a failed probe", async () => {
    expect(await dockerHostStrategy(fakeContext({ env: { DOCKER_HOST: "docker.sock" } }))).toEqual([
      {
        type: "broken",
        engines: ["docker", "podman"],
        location: "docker.sock",
        source: "DOCKER_HOST",
        reason: expect.stringContaining("has no scheme"),
      },
    ]);
  });
});

describe("containerHostStrategy", () => {
  it("proposes CONTAINER_HOST as Podman, unix, tcp or ssh", async () => {
    expect(await containerHostStrategy(fakeContext())).toEqual([]);
    for (const [value, endpoint] of [
      [
        "unix:///run/user/1000/podman/podman.sock",
        { kind: "unix", socketPath: "/run/user/1000/podman/podman.sock" },
      ],
      ["tcp://pod:8080", { kind: "tcp", host: "pod", port: 8080 }],
      [
        "ssh://core@pod:22/run/podman/podman.sock",
        { kind: "ssh", host: "pod", port: 22, username: "core", socketPath: "/run/podman/podman.sock" },
      ],
    ] as const) {
      expect(await containerHostStrategy(fakeContext({ env: { CONTAINER_HOST: value } }))).toEqual([
        { type: "endpoint", engines: ["podman"], endpoint, source: "CONTAINER_HOST" },
      ]);
    }
  });

  it("reports a malformed CONTAINER_HOST, hiding a password", async () => {
    const [proposal] = await containerHostStrategy(
      fakeContext({ env: { CONTAINER_HOST: "https://me:pw@pod:1" } }),
    );
    expect(proposal).toMatchObject({
      type: "broken",
      source: "CONTAINER_HOST",
      location: "https://me:***@pod:1",
    });
    expect(JSON.stringify(proposal)).not.toContain("pw@");
  });
});

describe("podmanSocketEnvStrategy", () => {
  it("takes a path or a unix:// URL", async () => {
    for (const value of ["/srv/podman.sock", "unix:///srv/podman.sock"]) {
      expect(await podmanSocketEnvStrategy(fakeContext({ env: { OPENSHELL_PODMAN_SOCKET: value } }))).toEqual(
        [
          {
            type: "endpoint",
            engines: ["podman"],
            endpoint: { kind: "unix", socketPath: "/srv/podman.sock" },
            source: "OPENSHELL_PODMAN_SOCKET",
          },
        ],
      );
    }
    expect(await podmanSocketEnvStrategy(fakeContext())).toEqual([]);
  });

  it("reports a relative path", async () => {
    const [proposal] = await podmanSocketEnvStrategy(
      fakeContext({ env: { OPENSHELL_PODMAN_SOCKET: "podman.sock" } }),
    );
    expect(proposal).toMatchObject({
      type: "broken",
      reason: expect.stringContaining("not an absolute socket path"),
    });
  });
});
