import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CHUNK_BYTES, writeSource } from "../../../../src/client/files/write-source.js";
import { InvalidArgumentError } from "../../../../src/errors.js";

async function sizes(chunks: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of chunks) out.push(chunk.length);
  return out;
}

describe("writeSource", () => {
  it("cuts bytes into stdin frames of at most 256 KiB, as views of the caller's buffer", async () => {
    const data = new Uint8Array(2 * CHUNK_BYTES + 1000);
    const source = writeSource(data);
    expect(source.total).toBe(data.length);
    const chunks: Uint8Array[] = [];
    for await (const chunk of source.chunks) chunks.push(chunk);
    expect(chunks.map((c) => c.length)).toEqual([CHUNK_BYTES, CHUNK_BYTES, 1000]);
    expect(chunks.every((c) => c.buffer === data.buffer)).toBe(true);
  });

  it("takes text as UTF-8, and streams of any chunk size (a text-mode Readable too) without a total", async () => {
    expect(writeSource("é").total).toBe(2);
    expect(await sizes(writeSource("").chunks)).toEqual([]);
    const stream = Readable.from(["ab", "é"]);
    const source = writeSource(stream);
    expect(source.total).toBeUndefined();
    expect(await sizes(source.chunks)).toEqual([2, 2]);
    const big = writeSource(
      (async function* () {
        yield new Uint8Array(CHUNK_BYTES * 3);
      })(),
    );
    expect(await sizes(big.chunks)).toEqual([CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES]);
  });

  it("refuses other data, naming the field", async () => {
    expect(() => writeSource(42)).toThrow(InvalidArgumentError);
    expect(() => writeSource(null)).toThrow(expect.objectContaining({ field: "data" }));
    const bad = writeSource(
      (async function* () {
        yield 5;
      })(),
    );
    await expect(sizes(bad.chunks)).rejects.toMatchObject({ field: "data" });
  });
});
