/**
 * An HTTP/1.1 response as read from an engine's socket, decoded in place: the head (status line and
 * headers) is kept, and the body's bytes are moved down over the framing in the caller's own buffer
 * (`Transfer-Encoding: chunked` sizes, extensions, CRLFs and trailers), so a read is decoded without
 * allocating a Buffer. Any split of the bytes across reads decodes the same.
 *
 * The framing is http-parser-js's (a pure-JS HTTP/1.1 parser): unlike Node's own parser behind
 * `http`, it parses bytes the caller owns and hands the body back as offsets into them, which is
 * what reading into a reused buffer needs.
 */
import { HTTPParser } from "http-parser-js";

/** The status line and headers of a response (header names lower-cased, repeated ones joined with ", "). */
export interface ResponseHead {
  status: number;
  headers: Map<string, string>;
}

/** A response the decoder cannot read: the message says what was wrong (the caller names the call). */
export class ResponseFramingError extends Error {}

/** Engines answer with a few hundred bytes of head; anything past this is not an engine. */
const MAX_HEAD_BYTES = 64 * 1024;

function headOf(status: number, raw: string[]): ResponseHead {
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status, headers };
}

/**
 * Decodes one response fed in pieces. `decode(buffer, from, to, out)` reads `buffer[from, to)` and
 * writes the body bytes it holds to `buffer` from `out` on (`out <= from`: they only ever move
 * down, over framing already read), returning where the body written so far ends.
 */
export class HttpResponseDecoder {
  private readonly parser = new HTTPParser(HTTPParser.RESPONSE);
  private responseHead: ResponseHead | undefined;
  private complete = false;
  /** Body bytes decoded so far (what a Content-Length body that ended early fell short by). */
  private bodyBytes = 0;
  /** The buffer being decoded and where its next body bytes go, during one decode(). */
  private buffer: Buffer | undefined;
  private out = 0;

  constructor() {
    this.parser.maxHeaderSize = MAX_HEAD_BYTES;
    this.parser[HTTPParser.kOnHeadersComplete] = (info) => {
      this.responseHead = headOf(info.statusCode, info.headers);
    };
    // The parser hands the body out as views of the buffer being decoded (offset 0 of each view).
    this.parser[HTTPParser.kOnBody] = (view, offset, length) => {
      const buffer = this.buffer as Buffer;
      const from = view.byteOffset - buffer.byteOffset + offset;
      if (from !== this.out) buffer.copyWithin(this.out, from, from + length);
      this.out += length;
      this.bodyBytes += length;
    };
    this.parser[HTTPParser.kOnMessageComplete] = () => {
      this.complete = true;
    };
  }

  /** The head, once all of it was read. */
  get head(): ResponseHead | undefined {
    return this.responseHead;
  }

  /** Whether the whole body was read (a body read until close is only once `end` said so). */
  get done(): boolean {
    return this.complete;
  }

  decode(buffer: Uint8Array, from: number, to: number, out: number): number {
    // One response per connection: what follows its end is not read.
    if (this.complete) return out;
    const bytes = Buffer.isBuffer(buffer)
      ? buffer
      : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.length);
    this.buffer = bytes;
    this.out = out;
    const result = this.parser.execute(bytes, from, to - from);
    this.buffer = undefined;
    // Once the response is complete the parser waits for another one and counts the bytes of the
    // read that finished this one against the next one's head size: that error is no error here.
    if (result instanceof Error && !this.complete) throw this.framingError(result);
    return this.out;
  }

  /** Says whether the response may end here: an error when the connection closed before its body did. */
  end(): void {
    if (this.complete) return;
    if (this.responseHead === undefined)
      throw new ResponseFramingError("the connection closed before the answer's head ended");
    const result = this.parser.finish();
    if (!(result instanceof Error) && this.complete) return;
    const length = this.responseHead.headers.get("content-length");
    throw new ResponseFramingError(
      length === undefined
        ? "the connection closed inside the answer's chunked body (before its last chunk)"
        : `the connection closed ${Number(length) - this.bodyBytes} bytes before the answer's Content-Length`,
    );
  }

  private framingError(error: Error): ResponseFramingError {
    if (this.responseHead === undefined)
      return new ResponseFramingError(`the answer is not an HTTP/1.1 response (${error.message})`);
    return new ResponseFramingError(`the answer's body is not framed as HTTP/1.1 says (${error.message})`);
  }
}
