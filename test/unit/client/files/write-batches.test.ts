import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { batchChunks, writeBatch } from "../../../../src/client/files/write-batches.js";

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

describe("batchChunks", () => {
  it("gathers small pieces into batches of at least the batch size, the rest last, bytes unchanged", async () => {
    const sizes = [300, 300, 300, 300, 100];
    const out = await collect(batchChunks(pieces(sizes), 1000));
    expect(out.map((batch) => batch.map((c) => c.length))).toEqual([[300, 300, 300, 300], [100]]);
    expect([...Buffer.concat(out.flat())]).toEqual([...Buffer.concat(await collect(pieces(sizes)))]);
  });

  it("hands the chunks on as they came (no copies), a big one alone, and nothing for nothing", async () => {
    const big = new Uint8Array(5000);
    const out = await collect(
      batchChunks(
        (async function* () {
          yield big;
          yield new Uint8Array(0);
        })(),
        1000,
      ),
    );
    expect(out).toHaveLength(1);
    expect(out[0]?.[0]).toBe(big);
    expect(await collect(batchChunks(pieces([]), 1000))).toEqual([]);
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
