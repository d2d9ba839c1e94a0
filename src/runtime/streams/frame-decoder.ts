import type { OutputChunk } from "../exec-types.js";

const HEADER_BYTES = 8;

/**
 * Splits the Docker API's multiplexed stream (exec and logs of a container without a TTY, and
 * every libpod log stream) into stdout and stderr chunks. Each frame is an 8-byte header (stream
 * type, 3 zero bytes, big-endian payload length) and a payload; frames are cut across network reads
 * anywhere, headers included. Payload bytes are handed on as soon as they arrive, so a large frame
 * streams instead of waiting to be complete, and only a split header is ever copied.
 */
export class FrameDecoder {
  private header = Buffer.alloc(HEADER_BYTES);
  private headerFilled = 0;
  private payloadLeft = 0;
  private stream: OutputChunk["stream"] = "stdout";

  /** Feeds one read; returns the chunks it completes or continues. */
  push(chunk: Buffer): OutputChunk[] {
    const out: OutputChunk[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - offset);
        out.push({ stream: this.stream, data: chunk.subarray(offset, offset + take) });
        this.payloadLeft -= take;
        offset += take;
        continue;
      }
      const take = Math.min(HEADER_BYTES - this.headerFilled, chunk.length - offset);
      chunk.copy(this.header, this.headerFilled, offset, offset + take);
      this.headerFilled += take;
      offset += take;
      if (this.headerFilled < HEADER_BYTES) break;
      this.headerFilled = 0;
      // Type 2 is stderr; 1 is stdout, and 0 (stdin echoed back) and 3 (system error text, which
      // libpod sends) are surfaced as stdout and stderr so nothing is silently dropped.
      const type = this.header[0];
      this.stream = type === 2 || type === 3 ? "stderr" : "stdout";
      this.payloadLeft = this.header.readUInt32BE(4);
    }
    return out;
  }

  /** True when the stream stopped in the middle of a frame: it was cut, not ended. */
  get midFrame(): boolean {
    return this.payloadLeft > 0 || this.headerFilled > 0;
  }
}
