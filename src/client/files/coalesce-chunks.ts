/** How much a download gathers before each write to the local file. */
export const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Gathers `source`'s chunks into pieces of at least `minBytes` (the last may be smaller), so a file
 * written from them is written in few large writes: exec output arrives in the engine's pieces of
 * about 32 KiB, and one write each cost a download over half its speed. Holds at most `minBytes`
 * plus one chunk.
 */
export async function* coalesceChunks(
  source: AsyncIterable<Uint8Array>,
  minBytes = WRITE_BATCH_BYTES,
): AsyncGenerator<Uint8Array, void, undefined> {
  let held: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    held.push(chunk);
    size += chunk.length;
    if (size >= minBytes) {
      yield held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held, size);
      held = [];
      size = 0;
    }
  }
  if (size > 0) yield held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held, size);
}
