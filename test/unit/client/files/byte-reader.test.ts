import { describe, expect, it } from "vitest";
import { ByteReader } from "../../../../src/client/files/byte-reader.js";
import { reusingSource } from "../../../support/reusing-source.js";

const reusing = (sizes: number[]) => reusingSource(sizes, 251);

const expected = (from: number, length: number) =>
  Buffer.from(Array.from({ length }, (_, i) => (from + i) % 251));

describe("ByteReader over a source that reuses its memory", () => {
  it("keeps what is left of a chunk across the next pull, and read() gives copies to keep", async () => {
    const reader = new ByteReader(reusing([100, 300, 5, 1000, 700]));
    // A "header" split across two chunks, then one split across three.
    const first = await reader.read(150);
    const second = await reader.read(400);
    const some = await reader.readSome(10_000);
    expect(some.equals(expected(550, some.length))).toBe(true);
    const rest: Buffer[] = [Buffer.from(some)];
    for (let chunk = await reader.readSome(64); chunk.length > 0; chunk = await reader.readSome(64))
      rest.push(Buffer.from(chunk)); // a readSome view is only valid until the next call
    // Read long after their chunks' memory was overwritten: still the bytes read.
    expect(first.equals(expected(0, 150))).toBe(true);
    expect(second.equals(expected(150, 400))).toBe(true);
    expect(Buffer.concat(rest).equals(expected(550, 2105 - 550))).toBe(true);
  });

  it("reads exact counts at every split of a stream into chunks of any size", async () => {
    for (const size of [1, 2, 7, 511, 512, 513, 1500]) {
      const sizes = Array(Math.ceil(3000 / size)).fill(size);
      sizes[sizes.length - 1] = 3000 - size * (sizes.length - 1);
      const reader = new ByteReader(reusing(sizes));
      const blocks: Buffer[] = [];
      for (let block = await reader.read(512); block.length > 0; block = await reader.read(512))
        blocks.push(block);
      expect(blocks.map((b) => b.length)).toEqual([512, 512, 512, 512, 512, 440]);
      expect(Buffer.concat(blocks).equals(expected(0, 3000))).toBe(true);
    }
  });
});
