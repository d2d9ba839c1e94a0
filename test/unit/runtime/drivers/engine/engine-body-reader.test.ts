import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { CanceledError, NotFoundError, ProtocolError, UnavailableError } from "../../../../../src/errors.js";
import { getEngineArchive } from "../../../../../src/runtime/drivers/engine/engine-archive.js";
import { readEngineBody } from "../../../../../src/runtime/drivers/engine/engine-body-reader.js";
import { EngineContext } from "../../../../../src/runtime/drivers/engine/engine-context.js";
import { mapEngineError } from "../../../../../src/runtime/drivers/engine/engine-errors.js";
import { tarEntries } from "../../../../support/tar-entries.js";

/** Answers recorded from the real engines (see http-response-decoder.test.ts). */
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../../../../fixtures/engine-archive", `${name}.http`));

const what = "copy /seq.txt out of container c1";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/**
 * A unix socket that answers one request as `answer` says (the recorded bytes, in pieces), and
 * reports the request it read and when the client closed.
 */
async function engine(answer: (socket: Socket) => Promise<void>, tcp = false) {
  dir = await mkdtemp(join(tmpdir(), "body-reader-"));
  const path = join(dir, "engine.sock");
  const requests: string[] = [];
  let closed!: () => void;
  const clientClosed = new Promise<void>((resolve) => {
    closed = resolve;
  });
  server = createServer((socket) => {
    socket.on("error", () => undefined);
    socket.on("close", () => closed());
    socket.once("data", (data) => {
      requests.push(data.toString("latin1"));
      answer(socket).catch(() => socket.destroy());
    });
  });
  if (tcp) await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  else await new Promise<void>((resolve) => server?.listen(path, resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { path, port, requests, clientClosed };
}

async function sendPieces(socket: Socket, bytes: Buffer, size: number, pauseMs = 0): Promise<void> {
  for (let at = 0; at < bytes.length; at += size) {
    if (socket.destroyed) return;
    socket.write(bytes.subarray(at, at + size));
    if (pauseMs > 0) await sleep(pauseMs);
  }
}

/** A chunked answer holding `body`, framed in chunks of `chunk` bytes as an engine frames its writes. */
function chunkedAnswer(body: Buffer, chunk: number): Buffer {
  const parts: Buffer[] = [
    Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n"),
  ];
  for (let at = 0; at < body.length; at += chunk) {
    const piece = body.subarray(at, at + chunk);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

const mapError = (error: unknown) => mapEngineError(error, "docker", what, "unix:///test.sock");

/** The reader of a recorded-answer engine at `path`, with a signal. */
const readWithSignal = (path: string, signal: AbortSignal) =>
  readEngineBody({ address: { path }, target: "/x", what, mapError, signal });

describe("readEngineBody over a unix socket", () => {
  it("sends the GET with its target and Host, and reads a recorded chunked archive sent in small pieces", async () => {
    const raw = fixture("docker-seq");
    const { path, requests } = await engine((socket) => sendPieces(socket, raw, 777));
    const body = await readEngineBody({
      address: { path },
      target: "/containers/c1/archive?path=%2Fseq.txt",
      what,
      mapError,
    });
    const copies: Buffer[] = [];
    for await (const chunk of body) copies.push(Buffer.from(chunk));
    expect(requests).toEqual([
      "GET /containers/c1/archive?path=%2Fseq.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    ]);
    const entries = tarEntries(Buffer.concat(copies));
    expect(entries.map((e) => e.name)).toEqual(["seq.txt"]);
    expect(entries[0]?.data.toString()).toBe(
      `${Array.from({ length: 12000 }, (_, i) => i + 1).join("\n")}\n`,
    );
  });

  it("reads over plain TCP too, naming host and port in Host", async () => {
    const { port, requests } = await engine(
      (socket) => sendPieces(socket, fixture("podman-seq"), 5000),
      true,
    );
    const body = await readEngineBody({ address: { host: "127.0.0.1", port }, target: "/t", what, mapError });
    const copies: Buffer[] = [];
    for await (const chunk of body) copies.push(Buffer.from(chunk));
    expect(requests).toEqual([`GET /t HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`]);
    expect(tarEntries(Buffer.concat(copies)).map((e) => e.name)).toEqual(["seq.txt"]);
  });

  it("is what getArchive uses with reuseBuffers, with the API version prefix of the driver's client", async () => {
    const { path, requests } = await engine((socket) => sendPieces(socket, fixture("docker-hello"), 1000));
    const docker = new Docker({ socketPath: path, version: "v1.41" });
    const stream = await getEngineArchive(new EngineContext(docker, "docker", `unix://${path}`), "c1", {
      path: "/hello.txt",
      reuseBuffers: true,
    });
    const copies: Buffer[] = [];
    for await (const chunk of stream) copies.push(Buffer.from(chunk));
    expect(requests[0]?.split("\r\n")[0]).toBe("GET /v1.41/containers/c1/archive?path=%2Fhello.txt HTTP/1.1");
    expect(tarEntries(Buffer.concat(copies)).map((e) => [e.name, e.data.toString()])).toEqual([
      ["hello.txt", "hello archive\n"],
    ]);
  });

  it("is what getArchive uses with reuseBuffers on a plain-TCP client too (no version: no prefix)", async () => {
    const { port, requests } = await engine(
      (socket) => sendPieces(socket, fixture("podman-hello"), 1000),
      true,
    );
    const docker = new Docker({ protocol: "http", host: "127.0.0.1", port });
    const stream = await getEngineArchive(
      new EngineContext(docker, "podman", `tcp://127.0.0.1:${port}`),
      "c1",
      {
        path: "/hello.txt",
        reuseBuffers: true,
      },
    );
    const copies: Buffer[] = [];
    for await (const chunk of stream) copies.push(Buffer.from(chunk));
    expect(requests[0]?.split("\r\n").slice(0, 2)).toEqual([
      "GET /containers/c1/archive?path=%2Fhello.txt HTTP/1.1",
      `Host: 127.0.0.1:${port}`,
    ]);
    expect(tarEntries(Buffer.concat(copies)).map((e) => e.name)).toEqual(["hello.txt"]);
  });

  it("rejects an error answer with the engine's message, mapped as dockerode's errors are", async () => {
    const { path } = await engine((socket) => sendPieces(socket, fixture("docker-missing"), 50));
    const error = await readEngineBody({ address: { path }, target: "/x", what, mapError }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(
      `${what}: Could not find the file /missing in container task19-fixture`,
    );
  });

  for (const engineName of ["docker", "podman"]) {
    it(`rejects ${engineName}'s answer for a gone container with NotFoundError and its words`, async () => {
      const { path } = await engine((socket) =>
        sendPieces(socket, fixture(`${engineName}-no-container`), 100),
      );
      const error = await readEngineBody({ address: { path }, target: "/x", what, mapError }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toBe(
        engineName === "docker"
          ? `${what}: No such container: nosuchcontainer19`
          : `${what}: no container with name or ID "nosuchcontainer19" found: no such container`,
      );
    });
  }

  it("ends with a ProtocolError naming the call when the connection closes inside the body", async () => {
    const raw = fixture("podman-seq");
    const { path } = await engine(async (socket) => {
      await sendPieces(socket, raw.subarray(0, raw.length - 3000), 4096);
      socket.end();
    });
    const body = await readEngineBody({ address: { path }, target: "/x", what, mapError });
    const error = await (async () => {
      for await (const _ of body) {
        // Read to the end.
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toBe(
      `${what}: the engine's answer is not valid HTTP: the connection closed inside the answer's chunked body (before its last chunk)`,
    );
  });

  it("holds at most its pool, never overwriting a chunk before the next is asked for, for a slow reader", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const answer = chunkedAnswer(data, 32 * 1024);
    const { path } = await engine((socket) => sendPieces(socket, answer, 200_000));
    const body = await readEngineBody({
      address: { path },
      target: "/x",
      what,
      mapError,
      buffers: 2,
      bufferBytes: 256 * 1024,
    });
    const hash = createHash("sha256");
    const memory = new Set<ArrayBufferLike>();
    let chunks = 0;
    for await (const chunk of body) {
      memory.add(chunk.buffer);
      // A slow consumer: the socket keeps reading meanwhile, and must not write over this chunk.
      if (chunks++ % 4 === 0) await sleep(5);
      hash.update(chunk);
    }
    expect(hash.digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    expect(memory.size).toBe(2);
  });

  it("ends with CanceledError when the signal aborts mid-body, and closes the socket", async () => {
    const data = Buffer.alloc(8 * 1024 * 1024, 7);
    const { path, clientClosed } = await engine((socket) =>
      sendPieces(socket, chunkedAnswer(data, 32 * 1024), 64 * 1024, 2),
    );
    const controller = new AbortController();
    const body = await readWithSignal(path, controller.signal);
    let bytes = 0;
    const error = await (async () => {
      for await (const chunk of body) {
        bytes += chunk.length;
        if (bytes > 256 * 1024) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanceledError);
    expect((error as Error).message).toBe(`${what}: canceled by the caller's signal`);
    await clientClosed;
    expect(bytes).toBeLessThan(data.length);
  });

  it("ends with CanceledError when the signal aborts after the whole body arrived but before it was taken", async () => {
    const { path } = await engine((socket) => sendPieces(socket, fixture("podman-hello"), 4096));
    const controller = new AbortController();
    const body = await readWithSignal(path, controller.signal);
    await sleep(20); // the whole answer (Content-Length 2048) is read by now
    controller.abort();
    await expect(body.next()).rejects.toBeInstanceOf(CanceledError);
  });

  it("closes the socket when the consumer stops early", async () => {
    const { path, clientClosed } = await engine((socket) =>
      sendPieces(socket, chunkedAnswer(Buffer.alloc(4 * 1024 * 1024), 32 * 1024), 64 * 1024, 2),
    );
    const body = await readEngineBody({ address: { path }, target: "/x", what, mapError });
    for await (const chunk of body) if (chunk.length > 0) break;
    await clientClosed;
  });

  it("rejects an engine that is not there with the mapped connection error (UnavailableError, ENOENT)", async () => {
    const error = await readEngineBody({
      address: { path: "/nonexistent/engine.sock" },
      target: "/x",
      what,
      mapError,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(
      /^copy \/seq.txt out of container c1: cannot reach the docker engine at unix:\/\/\/test.sock \(ENOENT\)/,
    );
  });

  it("rejects with CanceledError before connecting when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await readEngineBody({
      address: { path: "/nonexistent/engine.sock" },
      target: "/x",
      what,
      mapError,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanceledError);
  });
});
