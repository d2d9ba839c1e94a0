import { once } from "node:events";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { WrittenBody } from "../../../../src/local/files/written-body.js";

const CHUNK = 256 * 1024;
const CHUNKS = 64;

/** The byte at `i` of chunk `n`: each chunk its own pattern, so one overwritten too early shows. */
const byteAt = (n: number, i: number) => (n * 7 + i) % 253;

/**
 * The most demanding source: one buffer, overwritten with the next chunk's bytes as soon as the
 * consumer asks for the next. Only a consumer done with each chunk before it asks gets it right.
 */
function oneBuffer(finished: { value: boolean }): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.alloc(CHUNK);
  return (async function* () {
    try {
      for (let n = 0; n < CHUNKS; n++) {
        for (let i = 0; i < CHUNK; i++) buffer[i] = byteAt(n, i);
        yield buffer;
      }
    } finally {
      finished.value = true;
    }
  })();
}

const expected = () => {
  const all = Buffer.alloc(CHUNK * CHUNKS);
  for (let n = 0; n < CHUNKS; n++) for (let i = 0; i < CHUNK; i++) all[n * CHUNK + i] = byteAt(n, i);
  return all;
};

let server: Server | undefined;
afterEach(async () => {
  const open = server;
  server = undefined;
  if (open === undefined) return;
  open.closeAllConnections();
  await new Promise((resolve) => open.close(resolve));
});

/** An HTTP server that reads PUT bodies slowly (the engine unpacking), answering with what it got. */
async function slowServer(onBody: (body: Buffer) => void): Promise<number> {
  server = createServer(async (req: IncomingMessage, res) => {
    const parts: Buffer[] = [];
    try {
      for await (const part of req) {
        parts.push(part as Buffer);
        if (parts.length % 16 === 0) await sleep(5);
      }
    } catch {
      return; // the client went away mid-body
    }
    onBody(Buffer.concat(parts));
    res.end("ok");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/** A PUT with the body piped in, as the engine client (docker-modem) sends an archive. */
function put(port: number, body: WrittenBody): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "PUT", path: "/archive" }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    body.on("error", (error) => req.destroy(error));
    body.pipe(req);
  });
}

describe("WrittenBody", () => {
  it("piped into a request, takes the next chunk only once the last is written: a reused buffer arrives intact", async () => {
    let received: Buffer = Buffer.alloc(0);
    const port = await slowServer((body) => {
      received = body;
    });
    const finished = { value: false };
    expect(await put(port, new WrittenBody(oneBuffer(finished)))).toBe(200);
    expect(received.length).toBe(CHUNK * CHUNKS);
    expect(received.equals(expected())).toBe(true);
    expect(finished.value).toBe(true);
  });

  it("read as a plain stream, copies each chunk, so a reused buffer still arrives intact", async () => {
    const parts: Buffer[] = [];
    for await (const part of new WrittenBody(oneBuffer({ value: false }))) parts.push(part as Buffer);
    expect(Buffer.concat(parts).equals(expected())).toBe(true);
  });

  it("ends the request with the source's error", async () => {
    const port = await slowServer(() => undefined);
    const failing = (async function* () {
      yield Buffer.alloc(CHUNK);
      throw new Error("the file changed");
    })();
    await expect(put(port, new WrittenBody(failing))).rejects.toThrow("the file changed");
  });

  it("stops asking and closes the source when the request is gone", async () => {
    const port = await slowServer(() => undefined);
    const finished = { value: false };
    let asked = 0;
    const source = (async function* () {
      try {
        for (;;) {
          asked++;
          yield Buffer.alloc(CHUNK);
        }
      } finally {
        finished.value = true;
      }
    })();
    const body = new WrittenBody(source);
    const req = request({ host: "127.0.0.1", port, method: "PUT", path: "/archive" });
    req.on("error", () => undefined);
    body.pipe(req);
    await sleep(50);
    req.destroy();
    await sleep(50);
    const afterDestroy = asked;
    await sleep(50);
    expect(asked).toBe(afterDestroy);
    expect(finished.value).toBe(true);
  });
});
