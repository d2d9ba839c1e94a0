/**
 * Pulls exact byte counts out of a stream of chunks of any size, holding at most one chunk beyond
 * what was asked for: what a tar reader needs to cut headers and file data out of exec output.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    // A view of the chunk, not a copy: every byte of a download passes here, and a copy each would
    // double what the collector has to catch up with (the process's peak memory). Only a header
    // split across two chunks is joined.
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    return true;
  }

  /** Exactly `n` bytes, or fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer<ArrayBufferLike>> {
    while (this.buffer.length < n && (await this.fill())) {
      // Keep filling.
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  /** Between 1 and `n` bytes (whatever is buffered or arrives next), or none at the end. */
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
