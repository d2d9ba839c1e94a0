import { Readable } from "node:stream";
import { InvalidArgumentError } from "../../errors.js";

/** What `files.write()` takes: text (written as UTF-8), bytes, a Node stream or any async iterable of bytes. */
export type WriteData = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

/** Bytes per stdin frame: far under gRPC's 4 MB message limit, large enough to keep the pipe busy. */
export const CHUNK_BYTES = 256 * 1024;

/** A write's data as bounded chunks, and its total size when known before sending. */
export interface WriteSource {
  chunks: AsyncIterable<Uint8Array>;
  total: number | undefined;
  /**
   * The same bytes read into reused memory (a local file's, see fileChunksReusing), for a consumer
   * that is done with each chunk when it asks for the next; `chunks` for any other.
   */
  reused?: () => AsyncIterable<Uint8Array>;
}

/** Checks `data` at the boundary and turns it into chunks of at most CHUNK_BYTES. */
export function writeSource(data: unknown): WriteSource {
  if (typeof data === "string") {
    const bytes = Buffer.from(data, "utf8");
    return { chunks: split([bytes]), total: bytes.length };
  }
  if (data instanceof Uint8Array) return { chunks: split([data]), total: data.length };
  if (data instanceof Readable || isAsyncIterable(data)) {
    return { chunks: split(data as AsyncIterable<unknown>), total: undefined };
  }
  throw new InvalidArgumentError(
    "data must be a string, a Uint8Array, a Node Readable or an async iterable of Uint8Array",
    { field: "data" },
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === "function"
  );
}

/**
 * Re-cuts a source into chunks of at most CHUNK_BYTES without copying: a large chunk is sliced into
 * views. A Readable in text mode yields strings, which are taken as UTF-8.
 */
async function* split(source: Iterable<unknown> | AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    const bytes =
      typeof chunk === "string"
        ? Buffer.from(chunk, "utf8")
        : chunk instanceof Uint8Array
          ? chunk
          : undefined;
    if (bytes === undefined) {
      throw new InvalidArgumentError("data yielded something that is not a Uint8Array or a string", {
        field: "data",
      });
    }
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
      yield bytes.subarray(at, Math.min(at + CHUNK_BYTES, bytes.length));
    }
  }
}
