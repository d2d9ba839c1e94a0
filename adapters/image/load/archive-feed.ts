import type { Readable, Writable } from "node:stream";
import type { ByteCounter } from "./byte-progress.js";

/** A running feed of the source's archive into the target. */
export interface ArchiveFeed {
  /** Stops reading the source (its request is closed). */
  stop(): void;
  /** Stops reading the source and closes the sink: the target has said it wants no more. */
  finish(): void;
}

/**
 * Pipes the source's `docker save` stream through the byte counter, and on into `sink` when given
 * (ctr's stdin). Without a sink (an engine target, which pipes `archive` into its request itself),
 * the archive is only counted as it goes by: one stream hop less per chunk. Streamed with
 * backpressure: no more than the streams' high-water marks is ever held, whatever the image's size.
 *
 * Each side's failure is told apart, which `stream.pipeline` does not do (it destroys every stream
 * with the first error, so a target that stops reading would look like a source that broke):
 * - the source failing midway (its engine went away) calls `onSourceFailure`, unless `signal` was
 *   aborted first (then the stream's error is only the abort's echo);
 * - the target side failing is left to the target to report: a load request that fails rejects,
 *   and a write into ctr's stdin after ctr has exited fails while ctr's exit code says why.
 */
export function feedArchive(
  archive: Readable,
  counter: ByteCounter,
  options: { signal: AbortSignal; onSourceFailure: (error: unknown) => void; sink?: Writable },
): ArchiveFeed {
  let stopped = false;
  archive.on("error", (error: unknown) => {
    if (stopped || options.signal.aborted) return;
    stopped = true;
    options.onSourceFailure(error);
  });
  if (options.sink === undefined) {
    // The target reads `archive` itself (it pipes it into its request): counted on the way, no hop.
    counter.watch(archive);
  } else {
    // Destroyed by its reader when the sink fails; the sink's owner reports the failure.
    counter.stream.on("error", () => {});
    archive.pipe(counter.stream);
    options.sink.on("error", () => {});
    counter.stream.pipe(options.sink);
  }
  const stop = () => {
    stopped = true;
    if (!archive.destroyed) archive.destroy();
  };
  return {
    stop,
    finish() {
      stop();
      const sink = options.sink;
      if (sink !== undefined && !sink.writableEnded) {
        counter.stream.unpipe(sink);
        sink.end();
      }
    },
  };
}
