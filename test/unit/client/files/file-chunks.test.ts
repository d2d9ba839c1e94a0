import { readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileChunksReusing } from "../../../../src/client/files/file-chunks.js";
import { CHUNK_BYTES } from "../../../../src/client/files/write-source.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "openshell-chunks-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file of `size` bytes that differ from chunk to chunk, so a chunk read into the wrong place shows. */
async function patterned(size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + Math.floor(i / CHUNK_BYTES)) % 251;
  const path = join(dir, "f.bin");
  await writeFile(path, bytes);
  return { path, bytes };
}

const openFiles = () => readdirSync("/proc/self/fd").length;

describe("fileChunksReusing", () => {
  it("reads the whole file in order, in chunks of at most CHUNK_BYTES held in two buffers", async () => {
    const { path, bytes } = await patterned(5 * CHUNK_BYTES + 12_345);
    const copies: Buffer[] = [];
    const memory = new Set<ArrayBufferLike>();
    for await (const chunk of fileChunksReusing(path)) {
      expect(chunk.length).toBeLessThanOrEqual(CHUNK_BYTES);
      memory.add(chunk.buffer);
      // The consumer is done with a chunk when it asks for the next: it keeps a copy, as a socket has sent it.
      copies.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(copies).equals(bytes)).toBe(true);
    expect(copies.map((c) => c.length)).toEqual([...Array(5).fill(CHUNK_BYTES), 12_345]);
    expect(memory.size).toBe(2);
  });

  it("gives nothing for an empty file, and closes it", async () => {
    const { path } = await patterned(0);
    const before = openFiles();
    const chunks: Uint8Array[] = [];
    for await (const chunk of fileChunksReusing(path)) chunks.push(chunk);
    expect(chunks).toEqual([]);
    expect(openFiles()).toBe(before);
  });

  it("closes the file when the consumer stops early, with a read under way", async () => {
    const { path, bytes } = await patterned(4 * CHUNK_BYTES);
    const before = openFiles();
    for await (const chunk of fileChunksReusing(path)) {
      expect(Buffer.from(chunk).equals(bytes.subarray(0, CHUNK_BYTES))).toBe(true);
      break;
    }
    expect(openFiles()).toBe(before);
  });

  it("fails on a path that is not there, before any chunk", async () => {
    await expect(fileChunksReusing(join(dir, "missing")).next()).rejects.toThrow(/ENOENT/);
  });
});
