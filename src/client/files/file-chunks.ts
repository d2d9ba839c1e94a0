import { open } from "node:fs/promises";
import { CHUNK_BYTES } from "./write-source.js";

/**
 * A local file's bytes in chunks of at most CHUNK_BYTES read into two buffers taken in turn: the
 * next chunk is read while the last is being sent, and a buffer is read into again only once the
 * consumer has asked for the chunk after the one it held. So this is only for a consumer that is
 * done with each chunk when it asks for the next (local mode's archive put, see WrittenBody); one
 * that keeps chunks (a stream's queue, a message not yet serialized) would see them overwritten.
 * It holds 2 x CHUNK_BYTES whatever the file's size, and leaves nothing for the collector.
 */
export async function* fileChunksReusing(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  const file = await open(path, "r");
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  const into = (t: number) => buffers[t] as Buffer;
  let turn = 0;
  let pending: Promise<{ bytesRead: number }> | undefined = file.read(into(turn), 0, CHUNK_BYTES, null);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      const chunk = into(turn).subarray(0, bytesRead);
      turn = 1 - turn;
      // The other buffer's chunk was yielded before this one and the consumer has asked for more
      // since: it is free to be read into while this chunk is sent.
      pending = file.read(into(turn), 0, CHUNK_BYTES, null);
      yield chunk;
    }
  } finally {
    // A consumer that stops early leaves a read under way: its end (or failure) is awaited, not lost.
    await pending?.catch(() => undefined);
    await file.close();
  }
}
