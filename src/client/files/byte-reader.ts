/**
 * Pulls exact byte counts out of a stream of chunks of any size, holding at most one chunk beyond
 * what was asked for: what a tar reader needs to cut headers and file data out of exec output or
 * an engine's archive. The source may reuse a chunk's memory once the next is asked for (local
 * mode's archive reader does): what is left of a chunk is copied before each pull.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  /** Whether `buffer` is a view of the source's last chunk (not a copy of this reader's own). */
  private borrowed = false;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    // Only the unread rest of a chunk is copied (a split header, at most a block), never the
    // file data read whole out of a chunk: a copy of every byte doubled a download's peak memory.
    if (this.borrowed && this.buffer.length > 0) this.buffer = Buffer.from(this.buffer);
    this.borrowed = false;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    if (this.buffer.length === 0) {
      this.buffer = chunk;
      this.borrowed = true;
    } else this.buffer = Buffer.concat([this.buffer, chunk]);
    return true;
  }

  /**
   * Exactly `n` bytes, or fewer only at the end of the stream: a copy, the caller's to keep
   * (headers and their records, read and then used after the padding that follows is read).
   */
  async read(n: number): Promise<Buffer<ArrayBufferLike>> {
    while (this.buffer.length < n && (await this.fill())) {
      // Keep filling.
    }
    const out = Buffer.from(this.buffer.subarray(0, n));
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  /**
   * Between 1 and `n` bytes (whatever is buffered or arrives next), or none at the end: a view of
   * the source's chunk, valid until this reader is next asked for bytes (file data, written at once).
   */
  async readSome(n: number): Promise<Buffer<ArrayBufferLike>> {
    if (this.buffer.length === 0) await this.fill();
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  /** Reads the stream to its end, so the exec's exit code is seen. */
  async drain(): Promise<void> {
    this.buffer = Buffer.alloc(0);
    while (await this.fill()) this.buffer = Buffer.alloc(0);
  }

  /** Stops reading early (the source's generator is closed, ending its exec). */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
