import type { FileHandle } from "node:fs/promises";
import { FailedPreconditionError } from "../../errors.js";

/** How much a download gathers before each write to the local file. */
export const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Gathers `source`'s chunks into batches of at least `minBytes` (the last may be smaller), so a
 * file written from them is written in few large writes: exec output arrives in the engine's pieces
 * of about 32 KiB, and one write each cost a download over half its speed. The chunks are kept as
 * they came, never joined: a joined copy of every byte doubled what a download left for the
 * collector, and so the process's peak memory. Holds at most `minBytes` plus one chunk.
 */
export async function* batchChunks(
  source: AsyncIterable<Uint8Array>,
  minBytes = WRITE_BATCH_BYTES,
): AsyncGenerator<Uint8Array[], void, undefined> {
  let held: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    held.push(chunk);
    size += chunk.length;
    if (size >= minBytes) {
      yield held;
      held = [];
      size = 0;
    }
  }
  if (size > 0) yield held;
}

/**
 * Copies the chunks of a source that reuses its memory (local mode's archive reader: a chunk is
 * only valid until the next is asked for) into one batch buffer of its own, reused for every batch,
 * and hands on batches of `minBytes` (the last may be smaller); a chunk of at least `minBytes`
 * that arrives with nothing gathered goes on as it is, uncopied. Each batch is only valid until
 * the next is asked for, except the last, which stays as it is (nothing is copied after it), so
 * `batchChunks` may gather them: every batch but the last holds at least `minBytes`, and so goes
 * on alone at once.
 * Fresh chunks (exec output) do not come here: keeping them as they came (`batchChunks`) wrote a
 * download measurably faster than copying them.
 */
export async function* copyBatches(
  source: AsyncIterable<Uint8Array>,
  minBytes = WRITE_BATCH_BYTES,
): AsyncGenerator<Uint8Array, void, undefined> {
  let batch: Buffer | undefined;
  let size = 0;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.length) {
      if (size === 0 && chunk.length - at >= minBytes) {
        yield chunk.subarray(at);
        break;
      }
      batch ??= Buffer.allocUnsafe(minBytes);
      const n = Math.min(minBytes - size, chunk.length - at);
      batch.set(chunk.subarray(at, at + n), size);
      size += n;
      at += n;
      if (size === minBytes) {
        yield batch.subarray(0, size);
        size = 0;
      }
    }
  }
  if (size > 0 && batch !== undefined) yield batch.subarray(0, size);
}

/**
 * Writes a batch at the file's current position with one writev, again for whatever a short write
 * left (the kernel may write less than asked, on a full disk or a signal, without an error).
 */
export async function writeBatch(file: FileHandle, batch: Uint8Array[]): Promise<number> {
  let pending = batch;
  let total = 0;
  for (const chunk of batch) total += chunk.length;
  let left = total;
  while (left > 0) {
    const { bytesWritten } = await file.writev(pending);
    if (bytesWritten === 0)
      throw new FailedPreconditionError(
        "the local file took no more bytes; free space on its disk and download again",
      );
    left -= bytesWritten;
    pending = rest(pending, bytesWritten);
  }
  return total;
}

/** The chunks after the first `skip` bytes (views, no copies). */
function rest(chunks: Uint8Array[], skip: number): Uint8Array[] {
  let at = 0;
  let left = skip;
  while (at < chunks.length && left >= (chunks[at] as Uint8Array).length) {
    left -= (chunks[at] as Uint8Array).length;
    at++;
  }
  const out = chunks.slice(at);
  if (left > 0 && out.length > 0) out[0] = (out[0] as Uint8Array).subarray(left);
  return out;
}
