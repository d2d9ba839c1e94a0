import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  CanceledError,
  ProtocolError,
  TimeoutError,
  TlsError,
  UnavailableError,
} from "../../../../src/errors.js";
import { pingEngine, tlsOptionsFor } from "../../../../src/runtime/detection/index.js";
import type { EngineEndpoint } from "../../../../src/runtime/engine-endpoint.js";
import { createCertificateAuthority, issueClientCertificate } from "../../../support/certs.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Engine look-alikes on unix sockets in a temp folder: enough to exercise the ping, no engine needed. */
describe("pingEngine", () => {
  const dir = mkdtempSync(join(tmpdir(), "openshell-ping-"));
  const servers: Server[] = [];
  let counter = 0;

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function serve(handler: Handler): Promise<EngineEndpoint> {
    const socketPath = join(dir, `engine-${counter++}.sock`);
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return { kind: "unix", socketPath };
  }

  const answer =
    (status: number, headers: Record<string, string>, body = "OK"): Handler =>
    (req, res) => {
      expect(req.method).toBe("GET");
      expect(req.url).toBe("/_ping");
      res.writeHead(status, headers).end(body);
    };

  it("identifies Docker: an API version and no libpod header", async () => {
    const endpoint = await serve(answer(200, { "Api-Version": "1.43", Server: "Docker/24.0.7 (linux)" }));
    expect(await pingEngine(endpoint)).toEqual({ kind: "docker", apiVersion: "1.43" });
  });

  it("identifies Podman by its Libpod-Api-Version header", async () => {
    const endpoint = await serve(answer(200, { "Api-Version": "1.41", "Libpod-Api-Version": "4.3.1" }));
    expect(await pingEngine(endpoint)).toEqual({
      kind: "podman",
      apiVersion: "1.41",
      libpodApiVersion: "4.3.1",
    });
  });

  it("rejects answers that are not a Docker API engine's", async () => {
    const notFound = await serve(answer(404, {}, "404 page not found"));
    await expect(pingEngine(notFound)).rejects.toThrow(ProtocolError);
    await expect(pingEngine(notFound)).rejects.toThrow(
      /answered HTTP 404 to GET \/_ping; not a Docker API engine/,
    );
    const noVersion = await serve(answer(200, {}));
    await expect(pingEngine(noVersion)).rejects.toThrow(/without an API-Version header/);
  });

  it("says so when a plain request reached a TLS port", async () => {
    const endpoint = await serve(answer(400, {}, "Client sent an HTTP request to an HTTPS server.\n"));
    await expect(pingEngine(endpoint)).rejects.toThrow(
      /it speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH/,
    );
  });

  it("gives up after timeoutMs when nothing answers", async () => {
    const endpoint = await serve(() => {
      // Never answers.
    });
    const started = Date.now();
    const err = await pingEngine(endpoint, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe(
      `unix://${(endpoint as { socketPath: string }).socketPath}: no answer to GET /_ping within 150 ms`,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("stops when the signal fires, before or during the ping", async () => {
    const endpoint = await serve(() => {});
    const controller = new AbortController();
    const pending = pingEngine(endpoint, { signal: controller.signal, timeoutMs: 10_000 });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow(CanceledError);
    await expect(pingEngine(endpoint, { signal: AbortSignal.abort() })).rejects.toThrow(CanceledError);
  });

  it("explains a missing socket and a file nobody listens on", async () => {
    const missing = join(dir, "missing.sock");
    const err = await pingEngine({ kind: "unix", socketPath: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toBe(`unix://${missing}: no socket at ${missing} [ENOENT]`);
    const plain = join(dir, "plain.sock");
    writeFileSync(plain, "");
    await expect(pingEngine({ kind: "unix", socketPath: plain })).rejects.toThrow(
      /nothing accepts connections on .* \[ECONNREFUSED\]$/,
    );
  });

  it("pings plain tcp, and explains a refused port", async () => {
    const server = createServer(answer(200, { "Api-Version": "1.41" }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    expect(await pingEngine({ kind: "tcp", host: "127.0.0.1", port })).toEqual({
      kind: "docker",
      apiVersion: "1.41",
    });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    servers.pop();
    await expect(pingEngine({ kind: "tcp", host: "127.0.0.1", port })).rejects.toThrow(
      `tcp://127.0.0.1:${port}: connection refused: nothing listens on 127.0.0.1:${port} [ECONNREFUSED]`,
    );
  });

  it("does not probe ssh:// endpoints", async () => {
    await expect(pingEngine({ kind: "ssh", host: "far", port: 22 })).rejects.toThrow(
      "ssh://far:22: ssh:// endpoints are not probed; pass it to createRuntime as `endpoint`, with `runtime`",
    );
  });

  it("says when a TLS endpoint does not speak TLS", async () => {
    const server = createServer(answer(200, { "Api-Version": "1.41" }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const ca = await createCertificateAuthority("ping-test");
    const client = await issueClientCertificate(ca, { commonName: "me" });
    writeFileSync(join(dir, "ca.pem"), ca.cert);
    writeFileSync(join(dir, "cert.pem"), client.cert);
    writeFileSync(join(dir, "key.pem"), client.key);
    const tls = {
      caFile: join(dir, "ca.pem"),
      certFile: join(dir, "cert.pem"),
      keyFile: join(dir, "key.pem"),
      verify: true,
    };
    const err = await pingEngine({ kind: "tcp", host: "127.0.0.1", port, tls }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toContain("the endpoint does not speak TLS");
  });

  it("names a TLS file it cannot read", async () => {
    const tls = {
      caFile: join(dir, "nope", "ca.pem"),
      certFile: "/x/cert.pem",
      keyFile: "/x/key.pem",
      verify: true,
    };
    const err = await pingEngine({ kind: "tcp", host: "127.0.0.1", port: 1, tls }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toContain(
      `cannot read the TLS CA certificate ${join(dir, "nope", "ca.pem")} (it does not exist)`,
    );
  });
});

describe("tlsOptionsFor", () => {
  const tls = { caFile: "/c/ca.pem", certFile: "/c/cert.pem", keyFile: "/c/key.pem", verify: true };
  const files: Record<string, string> = { "/c/ca.pem": "CA", "/c/cert.pem": "CERT", "/c/key.pem": "KEY" };
  const read = async (file: string) => {
    const text = files[file];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: "ENOENT" });
    return Buffer.from(text);
  };

  it("has nothing for sockets, ssh and plain tcp", async () => {
    expect(await tlsOptionsFor({ kind: "unix", socketPath: "/s" }, read)).toBeUndefined();
    expect(await tlsOptionsFor({ kind: "tcp", host: "h", port: 2375 }, read)).toBeUndefined();
    expect(await tlsOptionsFor({ kind: "ssh", host: "h", port: 22 }, read)).toBeUndefined();
  });

  it("reads the three files and maps verify to rejectUnauthorized", async () => {
    expect(await tlsOptionsFor({ kind: "tcp", host: "h", port: 2376, tls }, read)).toEqual({
      ca: Buffer.from("CA"),
      cert: Buffer.from("CERT"),
      key: Buffer.from("KEY"),
      rejectUnauthorized: true,
    });
    const lax = await tlsOptionsFor(
      { kind: "tcp", host: "h", port: 2376, tls: { ...tls, verify: false } },
      read,
    );
    expect(lax?.rejectUnauthorized).toBe(false);
  });

  it("names the missing file and never prints contents", async () => {
    delete files["/c/key.pem"];
    const err = await tlsOptionsFor({ kind: "tcp", host: "h", port: 2376, tls }, read).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toBe(
      "cannot read the TLS client key /c/key.pem (it does not exist); DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem",
    );
    expect((err as Error).message).not.toMatch(/\bCA\b|\bCERT\b/);
  });
});
