import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { batchChunks, copyBatches, writeBatch } from "../../../../src/client/files/write-batches.js";
import { reusingSource } from "../../../support/reusing-source.js";

async function* pieces(sizes: number[]) {
  let next = 0;
  for (const size of sizes) {
    yield Uint8Array.from({ length: size }, () => next++ % 256);
  }
}

async function collect<T>(source: AsyncIterable<T>) {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

const reusing = (sizes: number[]) => reusingSource(sizes);

/** One chunk of `big`, then an empty one. */
async function* bigThenEmpty(big: Uint8Array) {
  yield big;
  yield new Uint8Array(0);
}

describe("batchChunks", () => {
  it("gathers small pieces into batches of at least the batch size, the rest last, bytes unchanged", async () => {
    const sizes = [300, 300, 300, 300, 100];
    const out = await collect(batchChunks(pieces(sizes), 1000));
    expect(out.map((batch) => batch.map((c) => c.length))).toEqual([[300, 300, 300, 300], [100]]);
    expect([...Buffer.concat(out.flat())]).toEqual([...Buffer.concat(await collect(pieces(sizes)))]);
  });

  it("hands the chunks on as they came (no copies), a big one alone, and nothing for nothing", async () => {
    const big = new Uint8Array(5000);
    const out = await collect(batchChunks(bigThenEmpty(big), 1000));
    expect(out).toHaveLength(1);
    expect(out[0]?.[0]).toBe(big);
    expect(await collect(batchChunks(pieces([]), 1000))).toEqual([]);
  });
});

describe("copyBatches", () => {
  it("keeps the bytes of a source that reuses its memory for every chunk, in batches of at least the batch size but the last", async () => {
    const sizes = [700, 250, 1, 2500, 999, 1000, 40, 1600];
    const taken: Buffer[] = [];
    // Copied when handed out: a batch is only valid until the next is asked for.
    for await (const batch of copyBatches(reusing(sizes), 1000)) taken.push(Buffer.from(batch));
    const total = sizes.reduce((a, b) => a + b, 0);
    // 951 gathered + 49 of the 2500; its other 2451 go on alone, uncopied; 639 last.
    expect(taken.map((b) => b.length)).toEqual([1000, 2451, 1000, 1000, 1000, 639]);
    expect(Buffer.concat(taken).equals(Buffer.from(Array.from({ length: total }, (_, i) => i % 256)))).toBe(
      true,
    );
  });

  it("gathered again by batchChunks (a download's way), writes a reusing source's exact bytes", async () => {
    const sizes = [300, 4000, 1, 999, 1000, 1001, 640];
    const written: Buffer[] = [];
    // What writeBatch does: each batch is written before the next is asked for.
    for await (const batch of batchChunks(copyBatches(reusing(sizes), 1000), 1000))
      written.push(Buffer.concat(batch));
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(Buffer.concat(written).equals(Buffer.from(Array.from({ length: total }, (_, i) => i % 256)))).toBe(
      true,
    );
  });

  it("gathers into one reused buffer of its own, and hands on a big chunk that arrives alone uncopied", async () => {
    const memory = new Set<ArrayBufferLike>();
    for await (const batch of copyBatches(pieces([300, 800, 900, 700, 50]), 1000)) memory.add(batch.buffer);
    expect(memory.size).toBe(1);
    const big = new Uint8Array(5000);
    const out = await collect(copyBatches(bigThenEmpty(big), 1000));
    expect(out).toHaveLength(1);
    expect(out[0]?.buffer).toBe(big.buffer);
    expect(out[0]?.length).toBe(5000);
    expect(await collect(copyBatches(pieces([]), 1000))).toEqual([]);
  });
});

describe("writeBatch", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("writes batch after batch to the file in order, views of larger buffers included", async () => {
    dir = await mkdtemp(join(tmpdir(), "openshell-batch-"));
    const path = join(dir, "out.bin");
    const whole = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
    const file = await open(path, "wx");
    let written = 0;
    try {
      written += await writeBatch(file, [whole.subarray(0, 10), whole.subarray(10, 3000)]);
      written += await writeBatch(file, [whole.subarray(3000)]);
    } finally {
      await file.close();
    }
    expect(written).toBe(4096);
    expect((await readFile(path)).equals(whole)).toBe(true);
  });
});
