import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HttpResponseDecoder,
  ResponseFramingError,
} from "../../../../../src/runtime/drivers/engine/http-response-decoder.js";
import { tarEntries } from "../../../../support/tar-entries.js";

/**
 * Answers recorded from the real engines (`curl --unix-socket ... -i --raw`) to
 * `GET /containers/{id}/archive?path=` of a busybox container holding `/hello.txt`
 * ("hello archive\n", sent with Content-Length) and `/seq.txt` (`seq 1 12000`, sent chunked:
 * Docker in chunks of 0x8000 and 0x7400 bytes, Podman in five from 0x800 to 0x7a00), and of a missing path.
 */
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../../../../fixtures/engine-archive", `${name}.http`));

const seqText = `${Array.from({ length: 12000 }, (_, i) => i + 1).join("\n")}\n`;

/**
 * Feeds `pieces` the way the socket reader does: each lands in one buffer of `bufferBytes` after
 * the last (a fresh buffer when the tail is too small), and the body written so far is taken (a
 * copy) before the memory is used again.
 */
function decodePieces(pieces: Buffer[], bufferBytes = 1 << 20) {
  const decoder = new HttpResponseDecoder();
  const buffer = Buffer.alloc(bufferBytes);
  const body: Buffer[] = [];
  let fillAt = 0;
  let out = 0;
  for (const piece of pieces) {
    for (let at = 0; at < piece.length; ) {
      if (fillAt === buffer.length) {
        fillAt = 0;
        out = 0;
      }
      const n = Math.min(piece.length - at, buffer.length - fillAt);
      piece.copy(buffer, fillAt, at, at + n);
      const end = decoder.decode(buffer, fillAt, fillAt + n, out);
      body.push(Buffer.from(buffer.subarray(out, end)));
      out = end;
      fillAt += n;
      at += n;
    }
  }
  return { decoder, body: Buffer.concat(body) };
}

function split(bytes: Buffer, sizes: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) pieces.push(bytes.subarray(at));
  return pieces;
}

function expectSeqArchive(body: Buffer): void {
  const entries = tarEntries(body);
  expect(entries.map((e) => e.name)).toEqual(["seq.txt"]);
  expect(entries[0]?.data.toString()).toBe(seqText);
}

describe("HttpResponseDecoder on recorded engine answers", () => {
  for (const engine of ["docker", "podman"]) {
    it(`decodes ${engine}'s chunked archive in one read, and byte by byte (every split point)`, () => {
      const raw = fixture(`${engine}-seq`);
      const whole = decodePieces([raw]);
      expect(whole.decoder.head?.status).toBe(200);
      expect(whole.decoder.head?.headers.get("transfer-encoding")).toBe("chunked");
      expect(whole.decoder.head?.headers.get("content-type")).toBe("application/x-tar");
      expect(whole.decoder.done).toBe(true);
      expectSeqArchive(whole.body);

      const bytes = decodePieces(split(raw, Array(raw.length).fill(1)));
      expect(bytes.decoder.done).toBe(true);
      expect(bytes.body.equals(whole.body)).toBe(true);
    });

    it(`decodes ${engine}'s chunked archive in any pieces, into any buffer size`, () => {
      const raw = fixture(`${engine}-seq`);
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 1, max: 70_000 }),
          (sizes, bufferBytes) => {
            const { decoder, body } = decodePieces(split(raw, sizes), bufferBytes);
            expect(decoder.done).toBe(true);
            expectSeqArchive(body);
          },
        ),
        { numRuns: 150 },
      );
    });

    it(`decodes ${engine}'s Content-Length archive of a small file`, () => {
      const raw = fixture(`${engine}-hello`);
      const { decoder, body } = decodePieces(split(raw, [7, 300, 1, 1, 900]));
      expect(decoder.head?.headers.get("content-length")).toBe("2048");
      expect(decoder.done).toBe(true);
      expect(tarEntries(body).map((e) => [e.name, e.data.toString()])).toEqual([
        ["hello.txt", "hello archive\n"],
      ]);
    });

    it(`reads ${engine}'s error answer for a missing path: 404 and its JSON message`, () => {
      const { decoder, body } = decodePieces([fixture(`${engine}-missing`)]);
      expect(decoder.head?.status).toBe(404);
      expect(decoder.done).toBe(true);
      const message = JSON.parse(body.toString()).message;
      expect(message).toBe(
        engine === "docker"
          ? "Could not find the file /missing in container task19-fixture"
          : "no such file or directory",
      );
    });

    it(`refuses ${engine}'s chunked archive cut short, at any point of the body`, () => {
      const raw = fixture(`${engine}-seq`);
      const headEnd = raw.indexOf("\r\n\r\n") + 4;
      fc.assert(
        fc.property(fc.integer({ min: headEnd, max: raw.length - 1 }), (cut) => {
          const { decoder } = decodePieces([raw.subarray(0, cut)]);
          expect(decoder.done).toBe(false);
          expect(() => decoder.end()).toThrow(/closed inside the answer's chunked body/);
        }),
        { numRuns: 200 },
      );
    });
  }

  it("refuses a Content-Length body cut short, and a head cut short", () => {
    const raw = fixture("docker-hello");
    const { decoder } = decodePieces([raw.subarray(0, raw.length - 100)]);
    expect(() => decoder.end()).toThrow("the connection closed 100 bytes before the answer's Content-Length");
    const head = decodePieces([raw.subarray(0, 40)]);
    expect(() => head.decoder.end()).toThrow(/before the answer's head ended/);
  });

  it("refuses a bad chunk size and a missing CRLF after a chunk's data", () => {
    const raw = fixture("docker-seq").toString("latin1");
    const badSize = Buffer.from(raw.replace("\r\n\r\n8000\r\n", "\r\n\r\n80x0\r\n"), "latin1");
    expect(() => decodePieces([badSize])).toThrow(ResponseFramingError);
    expect(() => decodePieces([badSize])).toThrow(/body is not framed as HTTP\/1.1 says/);
    const noCrlf = Buffer.from(raw.replace("\r\n7400\r\n", "XY7400\r\n"), "latin1");
    expect(raw.includes("\r\n7400\r\n")).toBe(true);
    expect(() => decodePieces([noCrlf])).toThrow(/body is not framed as HTTP\/1.1 says/);
  });

  it("skips chunk extensions and trailers, split anywhere", () => {
    // The recorded answer with an extension on its first chunk size and a trailer after the last.
    const raw = fixture("podman-seq").toString("latin1");
    const withExtras = Buffer.from(
      raw
        .replace("\r\n\r\n800\r\n", '\r\n\r\n800;name="v;x"\r\n')
        .replace(/\r\n0\r\n\r\n$/, "\r\n0;last\r\nX-Trailer: done\r\nX-Other: 1\r\n\r\n"),
      "latin1",
    );
    expect(withExtras.length).toBeGreaterThan(raw.length + 30);
    const bytes = decodePieces(split(withExtras, Array(withExtras.length).fill(1)));
    expect(bytes.decoder.done).toBe(true);
    expectSeqArchive(bytes.body);
  });

  it("decodes an answer whose last read, over 64 KiB, holds the end of its body", () => {
    // Podman's 5 MiB archive ended this way on a real engine: the parser, waiting for the next
    // response, counted that read's bytes against the next head's size limit.
    const data = Buffer.alloc(0x10000, 0x61);
    const raw = Buffer.concat([
      Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
      ...[data, data].flatMap((d) => [Buffer.from("10000\r\n"), d, Buffer.from("\r\n")]),
      Buffer.from("0\r\n\r\n"),
    ]);
    const { decoder, body } = decodePieces([raw], 256 * 1024);
    expect(decoder.done).toBe(true);
    expect(body.equals(Buffer.concat([data, data]))).toBe(true);
  });

  it("refuses an answer that is not HTTP", () => {
    expect(() => decodePieces([Buffer.from("SSH-2.0-OpenSSH\r\n\r\n")])).toThrow(
      /is not an HTTP\/1.1 response/,
    );
  });
});
