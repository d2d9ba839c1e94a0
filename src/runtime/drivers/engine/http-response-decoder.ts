/**
 * An HTTP/1.1 response as read from an engine's socket, decoded in place: the head (status line and
 * headers) is copied out, and the body's bytes are moved down over the framing in the caller's own
 * buffer (`Transfer-Encoding: chunked` sizes, extensions, CRLFs and trailers), so a read is decoded
 * without allocating. Any split of the bytes across reads decodes the same.
 */

/** The status line and headers of a response (header names lower-cased, repeated ones joined with ", "). */
export interface ResponseHead {
  status: number;
  headers: Map<string, string>;
}

/** A response the decoder cannot read: the message says what was wrong (the caller names the call). */
export class ResponseFramingError extends Error {}

/** Engines answer with a few hundred bytes of head; anything past this is not an engine. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Hex digits of a chunk size that still fit a safe integer. */
const MAX_SIZE_DIGITS = 13;

const CR = 0x0d;
const LF = 0x0a;

type BodyState =
  | "size"
  | "extension"
  | "size-lf"
  | "data"
  | "data-cr"
  | "data-lf"
  | "trailer-start"
  | "trailer"
  | "final-lf"
  | "done";

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

/** Parses a complete head (without its closing blank line). */
function parseHead(text: string): ResponseHead {
  const lines = text.split("\r\n");
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? "");
  if (statusLine === null)
    throw new ResponseFramingError(
      `the answer does not start with an HTTP/1.1 status line: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`,
    );
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0)
      throw new ResponseFramingError(
        `the answer has a malformed header line: ${JSON.stringify(line.slice(0, 80))}`,
      );
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status: Number(statusLine[1]), headers };
}

/**
 * Decodes one response fed in pieces. `decode(buffer, from, to, out)` reads `buffer[from, to)` and
 * writes the body bytes it holds to `buffer` from `out` on (`out <= from`: they only ever move
 * down, over framing already read), returning where the body written so far ends.
 */
export class HttpResponseDecoder {
  private headBytes: Buffer[] = [];
  private headLength = 0;
  /** How many of "\r\n\r\n" the head's last bytes matched. */
  private headMatch = 0;
  private responseHead: ResponseHead | undefined;
  private state: BodyState = "data";
  private chunked = false;
  /** Body bytes left in the current chunk, or in a Content-Length body; undefined: until the connection closes. */
  private remaining: number | undefined;
  private sizeDigits = 0;

  /** The head, once all of it was read. */
  get head(): ResponseHead | undefined {
    return this.responseHead;
  }

  /** Whether the whole body was read (a body read until close never is: see `end`). */
  get done(): boolean {
    return this.state === "done";
  }

  decode(buffer: Uint8Array, from: number, to: number, out: number): number {
    let at = from;
    if (this.responseHead === undefined) {
      at = this.readHead(buffer, from, to);
      if (this.responseHead === undefined) return out;
    }
    let write = out;
    while (at < to && this.state !== "done") {
      if (this.state === "data") {
        const take = this.remaining === undefined ? to - at : Math.min(this.remaining, to - at);
        if (take > 0 && write !== at) buffer.copyWithin(write, at, at + take);
        write += take;
        at += take;
        if (this.remaining !== undefined) {
          this.remaining -= take;
          if (this.remaining === 0) this.state = this.chunked ? "data-cr" : "done";
        }
        continue;
      }
      this.framingByte(buffer[at] as number);
      at++;
    }
    return write;
  }

  /** Says whether the response may end here: an error when the connection closed before its body did. */
  end(): void {
    if (this.responseHead === undefined)
      throw new ResponseFramingError("the connection closed before the answer's head ended");
    if (this.state === "done" || (this.state === "data" && this.remaining === undefined)) {
      this.state = "done";
      return;
    }
    throw new ResponseFramingError(
      this.chunked
        ? "the connection closed inside the answer's chunked body (before its last chunk)"
        : `the connection closed ${this.remaining} bytes before the answer's Content-Length`,
    );
  }

  private readHead(buffer: Uint8Array, from: number, to: number): number {
    let at = from;
    while (at < to && this.headMatch < 4) {
      const byte = buffer[at] as number;
      const expected = this.headMatch % 2 === 0 ? CR : LF;
      if (byte === expected) this.headMatch++;
      else this.headMatch = byte === CR ? 1 : 0;
      at++;
    }
    this.headLength += at - from;
    if (this.headLength > MAX_HEAD_BYTES)
      throw new ResponseFramingError(`the answer's head is over ${MAX_HEAD_BYTES} bytes`);
    // A copy: the caller's buffer is reused for the body.
    this.headBytes.push(Buffer.from(buffer.subarray(from, at)));
    if (this.headMatch < 4) return at;
    const text = Buffer.concat(this.headBytes).toString("latin1");
    this.headBytes = [];
    const head = parseHead(text.slice(0, -4));
    this.responseHead = head;
    this.startBody(head);
    return at;
  }

  private startBody(head: ResponseHead): void {
    const encoding = head.headers.get("transfer-encoding");
    const length = head.headers.get("content-length");
    if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
      if (encoding.toLowerCase() !== "chunked")
        throw new ResponseFramingError(
          `the answer's Transfer-Encoding ${JSON.stringify(encoding)} is not chunked`,
        );
      this.chunked = true;
      this.startSize();
      return;
    }
    if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length))
        throw new ResponseFramingError(
          `the answer's Content-Length ${JSON.stringify(length)} is not a number`,
        );
      this.remaining = Number(length);
      this.state = this.remaining === 0 ? "done" : "data";
      return;
    }
    this.remaining = undefined;
    this.state = "data";
  }

  private startSize(): void {
    this.state = "size";
    this.remaining = 0;
    this.sizeDigits = 0;
  }

  private framingByte(byte: number): void {
    switch (this.state) {
      case "size": {
        const digit = hexValue(byte);
        if (digit >= 0 && this.sizeDigits < MAX_SIZE_DIGITS) {
          this.remaining = (this.remaining as number) * 16 + digit;
          this.sizeDigits++;
          return;
        }
        if (this.sizeDigits > 0 && (byte === CR || byte === 0x3b /* ; */ || byte === 0x20 || byte === 0x09)) {
          this.state = byte === CR ? "size-lf" : "extension";
          return;
        }
        throw new ResponseFramingError(
          `the answer's chunked body has a bad chunk size (byte 0x${byte.toString(16)})`,
        );
      }
      case "extension":
        if (byte === CR) this.state = "size-lf";
        return;
      case "size-lf":
        this.expect(byte, LF, "after a chunk size");
        this.state = this.remaining === 0 ? "trailer-start" : "data";
        return;
      case "data-cr":
        this.expect(byte, CR, "after a chunk's data");
        this.state = "data-lf";
        return;
      case "data-lf":
        this.expect(byte, LF, "after a chunk's data");
        this.startSize();
        return;
      case "trailer-start":
        this.state = byte === CR ? "final-lf" : "trailer";
        return;
      case "trailer":
        if (byte === LF) this.state = "trailer-start";
        return;
      case "final-lf":
        this.expect(byte, LF, "at the end of the chunked body");
        this.state = "done";
        return;
      default:
        return;
    }
  }

  private expect(byte: number, wanted: number, where: string): void {
    if (byte !== wanted)
      throw new ResponseFramingError(
        `the answer's chunked body has 0x${byte.toString(16)} where ${wanted === CR ? "CR" : "LF"} belongs ${where}`,
      );
  }
}
