import { describe, expect, it } from "vitest";
import { coalesceChunks } from "../../../../src/client/files/coalesce-chunks.js";

async function* pieces(sizes: number[]) {
  let next = 0;
  for (const size of sizes) {
    yield Uint8Array.from({ length: size }, () => next++ % 256);
  }
}

async function collect(source: AsyncIterable<Uint8Array>) {
  const out: Uint8Array[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

describe("coalesceChunks", () => {
  it("gathers small pieces into ones of at least the batch size, the rest last, bytes unchanged", async () => {
    const sizes = [300, 300, 300, 300, 100];
    const out = await collect(coalesceChunks(pieces(sizes), 1000));
    expect(out.map((c) => c.length)).toEqual([1200, 100]);
    const all = Buffer.concat(out);
    expect([...all]).toEqual([...Buffer.concat(await collect(pieces(sizes)))]);
  });

  it("passes a piece as big as the batch on as it is, and yields nothing for nothing", async () => {
    const big = await collect(coalesceChunks(pieces([5000]), 1000));
    expect(big.map((c) => c.length)).toEqual([5000]);
    expect(await collect(coalesceChunks(pieces([]), 1000))).toEqual([]);
  });
});
