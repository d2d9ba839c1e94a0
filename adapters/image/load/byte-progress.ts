import { type Readable, Transform } from "node:stream";
import type { ImageProgressListener } from "../progress.js";
import { formatBytes } from "./image-names.js";

/** At most one progress event per this long, unless `STEP_FRACTION` of the total has moved since. */
const MIN_INTERVAL_MS = 500;
/** An event at least each twentieth of the total, however fast the bytes move. */
const STEP_FRACTION = 0.05;

/** A pass-through stream that counts the archive's bytes as they go by and reports them, throttled. */
export interface ByteCounter {
  readonly stream: Transform;
  /**
   * Counts the chunks `source` emits, without passing them through `stream`: for a source that is
   * piped straight into its target, which saves a hop per chunk. The source is paused first, so no
   * chunk goes by before whoever reads it starts to (a pipe resumes it).
   */
  watch(source: Readable): void;
  /** Bytes that have passed so far. */
  bytes(): number;
  /** Reports the count as it stands (the last event of a move: always sent, whatever the throttle). */
  flush(): void;
}

/**
 * Counts what passes through and sends `load` events with `bytes` and `totalBytes`: the first chunk
 * at once (the move has started), then at most every half second or each 5% of the total, then
 * `flush()`. `now` is the clock (tests pass their own). Nothing is buffered: each chunk goes on as
 * it came, so memory stays at the streams' own high-water marks whatever the image's size.
 */
export function countBytes(options: {
  totalBytes: number;
  describe: (bytes: number, totalBytes: number) => string;
  onProgress: ImageProgressListener | undefined;
  now?: () => number;
}): ByteCounter {
  const { totalBytes, describe, onProgress } = options;
  const now = options.now ?? (() => performance.now());
  let bytes = 0;
  let reportedBytes = -1;
  let reportedAt = Number.NEGATIVE_INFINITY;
  const step = totalBytes > 0 ? totalBytes * STEP_FRACTION : Number.POSITIVE_INFINITY;

  const report = () => {
    if (onProgress === undefined || bytes === reportedBytes) return;
    reportedBytes = bytes;
    reportedAt = now();
    onProgress({
      phase: "load",
      message: describe(bytes, totalBytes),
      bytes,
      ...(totalBytes > 0 ? { totalBytes } : {}),
    });
  };

  const count = (chunk: Buffer) => {
    bytes += chunk.length;
    if (reportedBytes < 0 || now() - reportedAt >= MIN_INTERVAL_MS || bytes - reportedBytes >= step) report();
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      count(chunk);
      callback(null, chunk);
    },
  });
  const watch = (source: Readable) => {
    source.pause();
    source.on("data", count);
  };
  return { stream, watch, bytes: () => bytes, flush: report };
}

/** `12.0 MiB of ~300.0 MiB moved`; the total is the source's size of the image, an estimate. */
export function describeBytes(bytes: number, totalBytes: number): string {
  return totalBytes > 0
    ? `${formatBytes(bytes)} of ~${formatBytes(totalBytes)} moved`
    : `${formatBytes(bytes)} moved`;
}
