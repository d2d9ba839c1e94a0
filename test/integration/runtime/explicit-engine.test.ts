import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createTcpServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, RuntimeNotFoundError, UnavailableError } from "../../../src/index.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import type { EngineEndpoint } from "../../../src/runtime/engine-endpoint.js";
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from "../../support/certs.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../../support/test-engines.js";

/** What createRuntime() failed with: it must be the SDK's RuntimeNotFoundError, never a TypeError. */
async function failure(run: () => Promise<{ close(): Promise<void> }>): Promise<RuntimeNotFoundError> {
  const outcome = await run().then(
    async (made) => {
      await made.close();
      return new Error(`expected RuntimeNotFoundError, but it connected: ${JSON.stringify(made)}`);
    },
    (e: unknown) => e,
  );
  if (!(outcome instanceof RuntimeNotFoundError)) throw outcome;
  return outcome;
}

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * An engine the user names (DOCKER_HOST, CONTAINER_HOST, OPENSHELL_PODMAN_SOCKET, the `endpoint`
 * option) is the only one used: when it does not answer, creating the runtime fails saying which
 * endpoint, what went wrong and what to do, even though this machine's default sockets answer.
 */
describe("an engine named explicitly that does not answer", () => {
  const root = mkdtempSync(join(tmpdir(), "openshell-explicit-engine-"));
  const home = join(root, "home");
  const missing = join(root, "missing.sock");
  /** No docker CLI config, nothing from this machine's user; the default sockets still answer. */
  const env = (vars: Record<string, string>) => ({ PATH: process.env.PATH, HOME: home, ...vars });
  let refusedPort: number;
  let tlsPort: number;
  let tlsServer: ReturnType<typeof createTlsServer>;
  let wrongCaDir: string;

  beforeAll(async () => {
    mkdirSync(home, { recursive: true });
    // A port that refuses: bound once to learn a free number, then closed.
    const probe = createTcpServer();
    refusedPort = await listening(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    // A TLS engine whose certificate another CA signed than the one in DOCKER_CERT_PATH.
    const engineCa = await createCertificateAuthority("engine-ca");
    const clientCa = await createCertificateAuthority("client-ca");
    const serverCert = await issueServerCertificate(engineCa, {
      dnsNames: ["localhost"],
      ips: ["127.0.0.1"],
    });
    const client = await issueClientCertificate(clientCa, { commonName: "openshell" });
    wrongCaDir = join(root, "certs");
    mkdirSync(wrongCaDir);
    writeFileSync(join(wrongCaDir, "ca.pem"), clientCa.cert);
    writeFileSync(join(wrongCaDir, "cert.pem"), client.cert);
    writeFileSync(join(wrongCaDir, "key.pem"), client.key, { mode: 0o600 });
    tlsServer = createTlsServer({ cert: serverCert.cert, key: serverCert.key }, (socket) => socket.destroy());
    tlsServer.on("tlsClientError", () => undefined);
    tlsPort = await listening(tlsServer);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => tlsServer?.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  it("the default sockets of this machine answer (else the tests below could not tell a fallback)", async () => {
    const docker = await createRuntime({ runtime: "docker", env: env({}) });
    expect(docker.endpoint).toBe(`unix://${(dockerTestEndpoint as { socketPath: string }).socketPath}`);
    await docker.close();
    const podman = await createRuntime({ runtime: "podman", env: env({}) });
    expect(podman.endpoint).toBe(`unix://${(podmanTestEndpoint as { socketPath: string }).socketPath}`);
    await podman.close();
  });

  it("DOCKER_HOST at a missing socket: fails naming DOCKER_HOST and the path (ENOENT)", async () => {
    for (const runtime of ["docker", "podman", "auto"] as const) {
      const error = await failure(() =>
        createRuntime({ runtime, env: env({ DOCKER_HOST: `unix://${missing}` }) }),
      );
      expect(error.code).toBe("runtime_not_found");
      expect(error.message).toContain(
        `DOCKER_HOST names is unavailable: unix://${missing}: no socket at ${missing} [ENOENT]`,
      );
      expect(error.message).toContain("unset DOCKER_HOST");
    }
  });

  it("DOCKER_HOST at a port that refuses: fails with ECONNREFUSED", async () => {
    const error = await failure(() =>
      createRuntime({ runtime: "docker", env: env({ DOCKER_HOST: `tcp://127.0.0.1:${refusedPort}` }) }),
    );
    expect(error.message).toContain(
      `tcp://127.0.0.1:${refusedPort}: connection refused: nothing listens on 127.0.0.1:${refusedPort} [ECONNREFUSED]`,
    );
  });

  it("DOCKER_HOST over TLS with the wrong CA: fails saying the certificate is not trusted", async () => {
    const error = await failure(() =>
      createRuntime({
        runtime: "docker",
        env: env({
          DOCKER_HOST: `tcp://127.0.0.1:${tlsPort}`,
          DOCKER_TLS_VERIFY: "1",
          DOCKER_CERT_PATH: wrongCaDir,
        }),
      }),
    );
    expect(error.message).toContain(`tcp://127.0.0.1:${tlsPort} (TLS): TLS handshake failed:`);
    expect(error.message).toContain(join(wrongCaDir, "ca.pem"));
  });

  it("CONTAINER_HOST and OPENSHELL_PODMAN_SOCKET at a missing socket: Podman is not looked for elsewhere", async () => {
    for (const variable of ["CONTAINER_HOST", "OPENSHELL_PODMAN_SOCKET"]) {
      for (const runtime of ["podman", "auto"] as const) {
        const error = await failure(() =>
          createRuntime({ runtime, env: env({ [variable]: `unix://${missing}` }) }),
        );
        expect(error.probes).toEqual([
          {
            runtime: "podman",
            location: `unix://${missing}`,
            source: variable,
            reason: `no socket at ${missing} [ENOENT]`,
          },
        ]);
        expect(error.message).toContain(`${variable} names is unavailable`);
      }
    }
  });

  it("a docker context whose engine does not answer: DOCKER_CONTEXT, or the CLI's current context", async () => {
    const config = join(root, "docker-config");
    const meta = join(config, "contexts", "meta", createHash("sha256").update("gone").digest("hex"));
    mkdirSync(meta, { recursive: true });
    writeFileSync(
      join(meta, "meta.json"),
      JSON.stringify({ Endpoints: { docker: { Host: `unix://${missing}` } } }),
    );
    writeFileSync(join(config, "config.json"), JSON.stringify({ currentContext: "gone" }));
    for (const [vars, source] of [
      [{ DOCKER_CONFIG: config, DOCKER_CONTEXT: "gone" }, 'docker context "gone" from DOCKER_CONTEXT'],
      [
        { DOCKER_CONFIG: config },
        `docker context "gone" from currentContext in ${join(config, "config.json")}`,
      ],
    ] as const) {
      const error = await failure(() => createRuntime({ runtime: "docker", env: env(vars) }));
      expect(error.probes.map((p) => p.source)).toEqual([source]);
      expect(error.message).toContain(`unix://${missing}: no socket at ${missing} [ENOENT]`);
      expect(error.message).toContain("docker context use");
    }
  });

  it("OPENSHELL_RUNTIME chooses the engine, and the variable that names it still binds", async () => {
    const error = await failure(() =>
      createRuntime({ env: env({ OPENSHELL_RUNTIME: "docker", DOCKER_HOST: `unix://${missing}` }) }),
    );
    expect(error.message.split("\n")[0]).toBe(
      `The Docker engine that DOCKER_HOST names is unavailable: unix://${missing}: no socket at ${missing} [ENOENT].`,
    );
  });

  it("the endpoint option: a missing socket, a refused port, a URL string; never an internal TypeError", async () => {
    const cases: [EngineEndpoint | string, string][] = [
      ["unix:///missing.sock", "unix:///missing.sock: no socket at /missing.sock [ENOENT]"],
      [{ kind: "unix", socketPath: missing }, `unix://${missing}: no socket at ${missing} [ENOENT]`],
      [
        { kind: "tcp", host: "127.0.0.1", port: refusedPort },
        `tcp://127.0.0.1:${refusedPort}: connection refused: nothing listens on 127.0.0.1:${refusedPort} [ECONNREFUSED]`,
      ],
    ];
    for (const runtime of ["docker", "podman"] as const) {
      for (const [endpoint, reason] of cases) {
        const error = await failure(() => createRuntime({ runtime, endpoint }));
        expect(error.message.split("\n")[0]).toBe(
          `The ${runtime === "docker" ? "Docker" : "Podman"} engine that the endpoint option names is unavailable: ${reason}.`,
        );
        expect(error.message).toContain("leave `endpoint` out");
      }
    }
  });

  it("the drivers' own connect says where, why and what to do (and takes a URL string too)", async () => {
    for (const [name, connect] of [
      ["docker", (endpoint: string) => DockerRuntime.connect({ endpoint })],
      ["podman", (endpoint: string) => PodmanRuntime.connect({ endpoint })],
    ] as const) {
      const error = await connect(`unix://${missing}`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toBe(
        `connect: cannot reach the ${name} engine at unix://${missing}: no socket at ${missing} [ENOENT]. ` +
          "Start the engine there, or connect to one that runs (createRuntime() finds one).",
      );
      const refused = await connect(`tcp://127.0.0.1:${refusedPort}`).catch((e: unknown) => e);
      expect((refused as Error).message).toContain(
        `connection refused: nothing listens on 127.0.0.1:${refusedPort} [ECONNREFUSED]`,
      );
    }
  });

  it("a string endpoint that is not an engine URL is refused naming the field", async () => {
    const error = await createRuntime({ runtime: "docker", endpoint: "/var/run/docker.sock" }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "invalid_argument", field: "endpoint" });
    expect((error as Error).message).toContain("has no scheme");
  });

  it("OpenShell.local({ runtime: 'docker' }) with DOCKER_HOST not answering fails and makes nothing", async () => {
    const stateDir = join(root, "local-state");
    const outcome = await OpenShell.local({
      runtime: "docker",
      runtimeOptions: { env: env({ DOCKER_HOST: `unix://${missing}` }) },
      stateDir,
    }).then(
      async (os) => {
        const where = os.localGateway?.runtime.endpoint;
        // Started on another engine (the defect): leave nothing of it there either.
        await os.localGateway?.close({ removeSandboxes: true });
        await os.close();
        return new Error(`expected RuntimeNotFoundError, but local mode started on ${where}`);
      },
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(RuntimeNotFoundError);
    expect((outcome as Error).message).toContain(`DOCKER_HOST names is unavailable: unix://${missing}`);
    expect(existsSync(stateDir)).toBe(false);
  });
});
