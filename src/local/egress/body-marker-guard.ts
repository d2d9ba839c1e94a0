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
  let pending: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      if (bodyHoldsMarker(pending)) return done(new BodyMarkerError());
      const safe = pending.length - MARKER_TAIL_BYTES;
      if (safe > 0) {
        this.push(pending.subarray(0, safe));
        pending = pending.subarray(safe);
      }
      done();
    },
    flush(done: TransformCallback) {
      if (bodyHoldsMarker(pending)) return done(new BodyMarkerError());
      done(null, pending.length === 0 ? undefined : pending);
    },
  });
}
