import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect as connectUnix, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RuntimeNotFoundError, TlsError } from "../../../src/errors.js";
import { type DetectedEngine, detectRuntime, pingEngine } from "../../../src/runtime/detection/index.js";
import {
  type CertificateAndKey,
  type CertificateAuthority,
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from "../../support/certs.js";

const dockerSocket = (process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock").replace(
  /^unix:\/\//,
  "",
);

/** Writes DOCKER_CERT_PATH's layout: ca.pem, cert.pem, key.pem (the key 0600, as docker wants it). */
function writeCertDir(dir: string, ca: string, client: CertificateAndKey): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ca.pem"), ca);
  writeFileSync(join(dir, "cert.pem"), client.cert);
  writeFileSync(join(dir, "key.pem"), client.key, { mode: 0o600 });
  chmodSync(join(dir, "key.pem"), 0o600);
  return dir;
}

/**
 * DOCKER_HOST=tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, for real: a TLS front end that
 * demands a client certificate from its own CA and forwards each accepted connection to the local
 * Docker socket, as `dockerd --tlsverify` would serve it.
 */
describe("DOCKER_HOST over TLS with client certificates", () => {
  const root = mkdtempSync(join(tmpdir(), "openshell-docker-tls-"));
  const home = join(root, "home");
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let server: Server;
  let port: number;
  let accepted = 0;
  const sockets = new Set<Socket>();
  let goodDir: string;

  beforeAll(async () => {
    ca = await createCertificateAuthority("docker-tls-test-ca");
    otherCa = await createCertificateAuthority("someone-else");
    const serverCert = await issueServerCertificate(ca, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
    const client = await issueClientCertificate(ca, { commonName: "openshell-client" });
    goodDir = writeCertDir(join(root, "good"), ca.cert, client);
    mkdirSync(home, { recursive: true });

    server = createServer(
      {
        ca: ca.cert,
        cert: serverCert.cert,
        key: serverCert.key,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (tlsSocket: TLSSocket) => {
        accepted++;
        const engine = connectUnix(dockerSocket);
        sockets.add(tlsSocket);
        sockets.add(engine);
        tlsSocket.pipe(engine).pipe(tlsSocket);
        const close = () => {
          tlsSocket.destroy();
          engine.destroy();
        };
        tlsSocket.on("error", close).on("close", close);
        engine.on("error", close).on("close", close);
      },
    );
    server.on("tlsClientError", () => {
      // Expected for the foreign-certificate cases; the client sees the connection drop.
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  function detect(env: Record<string, string>) {
    return detectRuntime({ env, platform: "linux", homedir: home, uid: undefined, timeoutMs: 5_000 });
  }

  /** DOCKER_HOST names the engine: a TLS failure there ends detection (the default socket is not used). */
  async function detectFailure(env: Record<string, string>): Promise<RuntimeNotFoundError> {
    const outcome = await detect(env).then(
      (found) => new Error(`expected RuntimeNotFoundError, but detection chose ${found.source}`),
      (e: unknown) => e,
    );
    if (!(outcome instanceof RuntimeNotFoundError)) throw outcome;
    return outcome;
  }

  it("detects Docker through tcp:// with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH", async () => {
    expect(statSync(join(goodDir, "key.pem")).mode & 0o777).toBe(0o600);
    const before = accepted;
    const found = await detect({
      DOCKER_HOST: `tcp://127.0.0.1:${port}`,
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: goodDir,
    });
    expect(found.kind).toBe("docker");
    const engine = found as DetectedEngine;
    expect(engine.source).toBe("DOCKER_HOST");
    expect(engine.skipped).toEqual([]);
    expect(engine.apiVersion).toMatch(/^1\.\d+$/);
    expect(engine.endpoint).toEqual({
      kind: "tcp",
      host: "127.0.0.1",
      port,
      tls: {
        caFile: join(goodDir, "ca.pem"),
        certFile: join(goodDir, "cert.pem"),
        keyFile: join(goodDir, "key.pem"),
        verify: true,
      },
    });
    expect(accepted).toBe(before + 1);
  });

  it("takes the TLS files from ~/.docker when only DOCKER_TLS_VERIFY is set", async () => {
    const client = await issueClientCertificate(ca, { commonName: "home-client" });
    writeCertDir(join(home, ".docker"), ca.cert, client);
    const found = await detect({ DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: "1" });
    expect(found.kind).toBe("docker");
    expect((found as DetectedEngine).source).toBe("DOCKER_HOST");
    expect((found as DetectedEngine).endpoint).toMatchObject({
      kind: "tcp",
      tls: { caFile: join(home, ".docker", "ca.pem"), verify: true },
    });
  });

  it("fails naming DOCKER_HOST when the engine refuses a client certificate from another CA", async () => {
    const stranger = await issueClientCertificate(otherCa, { commonName: "stranger" });
    const dir = writeCertDir(join(root, "stranger"), ca.cert, stranger);
    const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir };
    const { probes, message } = await detectFailure(env);
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ runtime: "docker", source: "DOCKER_HOST" });
    expect(probes[0]?.location).toBe(`tcp://127.0.0.1:${port} (TLS)`);
    expect(probes[0]?.reason).toMatch(/TLS/);
    expect(probes[0]?.reason).toContain("client certificate");
    expect(probes[0]?.reason).toContain(join(dir, "cert.pem"));
    expect(message).toContain("DOCKER_HOST names is unavailable");

    const direct = await pingEngine(engineFor(dir), { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(TlsError);
    expect((direct as TlsError).message).toMatch(/client certificate/);
  });

  it("fails naming DOCKER_HOST for an engine certificate that ca.pem did not sign", async () => {
    const client = await issueClientCertificate(ca, { commonName: "openshell-client" });
    const dir = writeCertDir(join(root, "wrong-ca"), otherCa.cert, client);
    const { probes } = await detectFailure({
      DOCKER_HOST: `tcp://127.0.0.1:${port}`,
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: dir,
    });
    expect(probes[0]?.source).toBe("DOCKER_HOST");
    expect(probes[0]?.reason).toContain(`TLS handshake failed: the engine's certificate`);
    expect(probes[0]?.reason).toContain(join(dir, "ca.pem"));
  });

  it("fails naming a missing key file", async () => {
    const client = await issueClientCertificate(ca, { commonName: "openshell-client" });
    const dir = writeCertDir(join(root, "no-key"), ca.cert, client);
    rmSync(join(dir, "key.pem"));
    const { probes } = await detectFailure({
      DOCKER_HOST: `tcp://127.0.0.1:${port}`,
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: dir,
    });
    expect(probes[0]?.reason).toContain(`cannot read the TLS client key ${join(dir, "key.pem")}`);
  });

  function engineFor(dir: string) {
    return {
      kind: "tcp" as const,
      host: "127.0.0.1",
      port,
      tls: {
        caFile: join(dir, "ca.pem"),
        certFile: join(dir, "cert.pem"),
        keyFile: join(dir, "key.pem"),
        verify: true,
      },
    };
  }
});
