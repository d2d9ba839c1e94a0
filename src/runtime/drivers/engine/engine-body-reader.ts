import { connect, type Socket } from "node:net";
import type { OpenShellError } from "../../../errors.js";
import { CanceledError, ProtocolError } from "../../../errors.js";
import { HttpResponseDecoder, ResponseFramingError, type ResponseHead } from "./http-response-decoder.js";

/** Where a driver opens its own connection to the engine: a unix socket, or plain TCP. */
export type EngineSocketAddress = { path: string } | { host: string; port: number };

/** One GET to the engine, read with reused memory. */
export interface EngineBodyRequest {
  address: EngineSocketAddress;
  /** The request target: path and query, with the API version prefix the driver uses. */
  target: string;
  /** What the call does (`copy /f out of container 1a2b`): starts every error's message. */
  what: string;
  /** Maps a failure that is not the SDK's own (a socket error, an engine's error answer). */
  mapError: (error: unknown) => OpenShellError;
  signal?: AbortSignal | undefined;
  /** Buffers in the pool and the bytes of each: the most the stream holds (default POOL_BUFFERS x POOL_BUFFER_BYTES). */
  buffers?: number;
  bufferBytes?: number;
}

/**
 * 2 MiB in all, in eight buffers: a buffer is read into again only once the consumer took all of
 * it, and with 2 x 1 MiB the socket waited for that 60-160 times per 256 MiB download, with
 * 8 x 256 KiB 1-30 times, at the same peak memory (2026-12-08, this project's shared 2-core
 * machine, where run-to-run noise hid any difference in speed).
 */
const POOL_BUFFERS = 8;
const POOL_BUFFER_BYTES = 256 * 1024;

/**
 * A socket read lands in what is left of the current buffer while that is at least this much; a
 * smaller tail would make reads small, so the next buffer is taken instead (once it was consumed).
 */
const MIN_TAIL_BYTES = 64 * 1024;
/** An error answer's body is read whole (the engine's JSON message), up to this. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The body's chunks (see readEngineBody); `return()` closes the connection. */
export interface EngineBodyChunks extends AsyncIterableIterator<Buffer> {
  return(): Promise<IteratorResult<Buffer, undefined>>;
}

/** A stretch of decoded body bytes in one pool buffer. */
interface Region {
  buffer: number;
  start: number;
  end: number;
}

/**
 * A response body as an async iterator of views into a small pool of buffers the socket reads into
 * (`onread`): no Buffer is allocated per read. Each chunk is valid only until the next `next()`.
 * The socket is paused while the pool is full of bytes the consumer has not taken, so memory is
 * bounded by the pool; `return()` (a consumer stopping early) closes it.
 */
class EngineBody implements EngineBodyChunks {
  private readonly pool: Buffer[];
  /** Decoded body bytes in each buffer not yet released by the consumer (queued or lent). */
  private readonly pending: number[];
  private readonly queue: Region[] = [];
  private lent: Region | undefined;
  private readonly decoder = new HttpResponseDecoder();
  private socket: Socket | undefined;
  private current = 0;
  private fillAt = 0;
  private bodyAt = 0;
  private paused = false;
  private ended = false;
  /** The consumer saw the end (or stopped): nothing it could still be given. */
  private returned = false;
  private failure: OpenShellError | undefined;
  private wake: (() => void) | undefined;
  private onHead: ((head: ResponseHead) => void) | undefined;
  private readonly errorBody: Buffer[] = [];
  private errorBodyBytes = 0;
  private readonly onAbort = () => this.fail(this.canceled());

  constructor(private readonly request: EngineBodyRequest) {
    const count = request.buffers ?? POOL_BUFFERS;
    const bytes = request.bufferBytes ?? POOL_BUFFER_BYTES;
    this.pool = Array.from({ length: count }, () => Buffer.allocUnsafe(bytes));
    this.pending = this.pool.map(() => 0);
  }

  /** Connects and sends the request; resolves with the head once the engine answered. */
  open(): Promise<ResponseHead> {
    const { request } = this;
    return new Promise<ResponseHead>((resolve, reject) => {
      if (request.signal?.aborted) {
        reject(this.canceled());
        return;
      }
      this.onHead = resolve;
      this.wake = () => {
        if (this.failure !== undefined) reject(this.failure);
      };
      let next: Buffer = this.pool[0] as Buffer;
      const onread = {
        buffer: () => next,
        callback: (n: number, buffer: Uint8Array) => {
          const keepReading = this.received(buffer, n);
          next = this.nextRegion();
          return keepReading && !this.paused;
        },
      };
      const host =
        "path" in request.address
          ? "localhost"
          : `${request.address.host.includes(":") ? `[${request.address.host}]` : request.address.host}:${request.address.port}`;
      const socket =
        "path" in request.address
          ? connect({ path: request.address.path, onread })
          : connect({ host: request.address.host, port: request.address.port, onread });
      this.socket = socket;
      socket.on("connect", () => {
        socket.write(`GET ${request.target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      });
      socket.on("end", () => this.closed());
      socket.on("error", (error) =>
        this.fail(request.signal?.aborted ? this.canceled() : request.mapError(error)),
      );
      socket.on("close", () => this.closed());
      request.signal?.addEventListener("abort", this.onAbort, { once: true });
    });
  }

  private canceled(): CanceledError {
    return new CanceledError(`${this.request.what}: canceled by the caller's signal`);
  }

  /** Decodes a read of `n` bytes; false when the socket must stop (an error, or the body is done). */
  private received(buffer: Uint8Array, n: number): boolean {
    if (this.failure !== undefined || this.ended) return false;
    const pool = this.pool[this.current] as Buffer;
    // The read landed at `fillAt` in the current buffer (the region nextRegion handed out).
    if (buffer.buffer !== pool.buffer || buffer.byteOffset !== pool.byteOffset + this.fillAt) {
      this.fail(new ProtocolError(`${this.request.what}: the socket read outside the buffer it was given`));
      return false;
    }
    const from = this.fillAt;
    const hadHead = this.decoder.head !== undefined;
    let end: number;
    try {
      end = this.decoder.decode(pool, from, from + n, this.bodyAt);
    } catch (error) {
      this.fail(this.framingError(error));
      return false;
    }
    this.fillAt = from + n;
    const head = this.decoder.head;
    if (!hadHead && head !== undefined && head.status === 200) this.onHead?.(head);
    if (head !== undefined && head.status !== 200) {
      this.keepErrorBody(pool.subarray(this.bodyAt, end));
      this.bodyAt = this.fillAt;
    } else if (end > this.bodyAt) {
      const last = this.queue.at(-1);
      if (last !== undefined && last.buffer === this.current && last.end === this.bodyAt) last.end = end;
      else this.queue.push({ buffer: this.current, start: this.bodyAt, end });
      this.pending[this.current] = (this.pending[this.current] as number) + (end - this.bodyAt);
      this.bodyAt = end;
    }
    if (this.decoder.done) {
      this.finish();
      return false;
    }
    this.wakeUp();
    return true;
  }

  /** Where the next read goes: the current buffer's tail, else the next buffer (pausing until it is free). */
  private nextRegion(): Buffer {
    const pool = this.pool[this.current] as Buffer;
    if (pool.length - this.fillAt >= MIN_TAIL_BYTES) return pool.subarray(this.fillAt);
    // The head of an error answer keeps its own copy, so only body bytes hold a buffer.
    this.current = (this.current + 1) % this.pool.length;
    this.fillAt = 0;
    this.bodyAt = 0;
    this.paused = (this.pending[this.current] as number) > 0;
    return this.pool[this.current] as Buffer;
  }

  private keepErrorBody(bytes: Buffer): void {
    if (this.errorBodyBytes >= MAX_ERROR_BODY_BYTES || bytes.length === 0) return;
    const kept = Buffer.from(bytes.subarray(0, MAX_ERROR_BODY_BYTES - this.errorBodyBytes));
    this.errorBody.push(kept);
    this.errorBodyBytes += kept.length;
  }

  private framingError(error: unknown): OpenShellError {
    if (error instanceof ResponseFramingError)
      return new ProtocolError(
        `${this.request.what}: the engine's answer is not valid HTTP: ${error.message}`,
      );
    return this.request.mapError(error);
  }

  /** The connection ended or closed: the body must be complete. */
  private closed(): void {
    if (this.ended || this.failure !== undefined) return;
    try {
      this.decoder.end();
    } catch (error) {
      this.fail(this.framingError(error));
      return;
    }
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    const head = this.decoder.head;
    if (head !== undefined && head.status !== 200) {
      this.failure = this.request.mapError(this.engineAnswer(head));
    }
    this.wakeUp();
  }

  /** The engine's error answer in the shape dockerode rejects with, so it maps the same as every call's. */
  private engineAnswer(head: ResponseHead): Error & { statusCode: number; json: unknown } {
    const text = Buffer.concat(this.errorBody).toString("utf8");
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: the text is the message.
    }
    return Object.assign(new Error(`(HTTP code ${head.status}) unexpected - ${text.trim()}`), {
      statusCode: head.status,
      json,
    });
  }

  private fail(error: OpenShellError): void {
    // After the body ended (or the consumer stopped), the socket's own close is no failure.
    if (this.failure !== undefined || this.ended) return;
    this.failure = error;
    this.release();
    this.wakeUp();
  }

  /** Lets go of the socket and the signal. */
  private release(): void {
    this.request.signal?.removeEventListener("abort", this.onAbort);
    this.socket?.destroy();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async next(): Promise<IteratorResult<Buffer, undefined>> {
    if (this.lent !== undefined) {
      this.pending[this.lent.buffer] =
        (this.pending[this.lent.buffer] as number) - (this.lent.end - this.lent.start);
      this.lent = undefined;
      if (this.paused && this.pending[this.current] === 0 && !this.ended && this.failure === undefined) {
        this.paused = false;
        this.socket?.resume();
      }
    }
    // An abort ends the stream even when the whole body was already read (the socket is closed
    // then, and the signal let go): what the consumer has not taken is not handed out.
    if (this.failure === undefined && this.request.signal?.aborted && !this.returned)
      this.failure = this.canceled();
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const region = this.queue.shift();
      if (region !== undefined) {
        this.lent = region;
        return {
          done: false,
          value: (this.pool[region.buffer] as Buffer).subarray(region.start, region.end),
        };
      }
      if (this.ended) {
        this.returned = true;
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<Buffer, undefined>> {
    this.returned = true;
    this.queue.length = 0;
    this.lent = undefined;
    if (!this.ended) {
      this.ended = true;
      this.release();
    }
    this.wakeUp();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Sends `GET target` on a socket of its own and reads the answer into a small pool of reused
 * buffers. Resolves once the engine answered 200 with an iterator of the body's bytes, each chunk
 * a view valid only until the next is asked for; any other answer rejects with the error
 * `mapError` makes of it (the engine's JSON `message`, as dockerode reports it). An aborted signal
 * closes the socket and ends the call or the iteration with a CanceledError; a connection that
 * ends before the body does is a ProtocolError naming the call.
 */
export async function readEngineBody(request: EngineBodyRequest): Promise<EngineBodyChunks> {
  const body = new EngineBody(request);
  await body.open();
  return body;
}
