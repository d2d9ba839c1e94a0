import { Transform, type TransformCallback } from "node:stream";
import { bodyHoldsMarker } from "../credentials/body-rewrite.js";
import { ALIAS_MARKER, PLACEHOLDER_PREFIX } from "../credentials/placeholders.js";

/**
 * Bytes held back from the upstream while a body streams: the longest marker fully percent-encoded
 * (three bytes per character), as upstream's `CREDENTIAL_MARKER_SCAN_TAIL_BYTES`, so a marker split
 * across reads is seen whole before any byte of it leaves.
 */
export const MARKER_TAIL_BYTES = 3 * Math.max(PLACEHOLDER_PREFIX.length, ALIAS_MARKER.length);

/** Thrown (as the stream's error) when a streamed body holds a credential marker. */
export class BodyMarkerError extends Error {
  constructor() {
    super(
      "the request body holds a credential placeholder and its endpoint has no request_body_credential_rewrite",
    );
    this.name = "BodyMarkerError";
  }
}

/**
 * Upstream's backstop for bodies it does not rewrite (`ReservedMarkerStreamGuard`): the body still
 * streams, less its last {@link MARKER_TAIL_BYTES} until more arrive or it ends, and the stream
 * fails with {@link BodyMarkerError} the moment what it holds shows a marker (raw or
 * percent-encoded), before any byte of that marker is passed on.
 */
export function bodyMarkerGuard(): Transform {
  // Held back: at most MARKER_TAIL_BYTES, the end of what came so far.
  let tail: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      // A marker is at most MARKER_TAIL_BYTES on the wire: one that began in the tail ends within
      // that many bytes of this chunk, so the chunk and that seam are all that need a look.
      const seam = Buffer.concat([tail, chunk.subarray(0, MARKER_TAIL_BYTES)]);
      if (bodyHoldsMarker(seam) || bodyHoldsMarker(chunk)) return done(new BodyMarkerError());
      const total = tail.length + chunk.length;
      if (total <= MARKER_TAIL_BYTES) {
        tail = Buffer.concat([tail, chunk]);
        return done();
      }
      const keep = total - MARKER_TAIL_BYTES;
      if (keep <= tail.length) {
        this.push(tail.subarray(0, keep));
        tail = Buffer.concat([tail.subarray(keep), chunk]);
      } else {
        if (tail.length > 0) this.push(tail);
        this.push(chunk.subarray(0, keep - tail.length));
        tail = chunk.subarray(keep - tail.length);
      }
      done();
    },
    flush(done: TransformCallback) {
      done(null, tail.length === 0 ? undefined : tail);
    },
  });
}
