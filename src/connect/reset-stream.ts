import { type ClientHttp2Stream, constants } from "node:http2";

/** The part of a Writable's internal state Node's HTTP/2 `close()` reads. */
interface WritableInternals {
  _writableState?: { ending?: boolean };
}

/**
 * Makes a stream the SDK closes with an error code (a cancel, a failure) reset without half-closing
 * first. Node's `close(code)` ends the writable side before it sends RST_STREAM, so the gateway reads
 * a clean END_STREAM (the client's "that was all my input") a moment before the reset, and may act on
 * it: give a command EOF on stdin, or a forwarded port a FIN, taking a cut upload for a complete one.
 * Marking the writable side as ending makes Node skip that END_STREAM (it checks exactly this flag) and
 * send only the reset. A clean close (NO_ERROR) is left as it is.
 */
export function resetWithoutHalfClose(stream: ClientHttp2Stream): void {
  const close = stream.close.bind(stream);
  stream.close = (code?: number, callback?: () => void) => {
    const state = (stream as unknown as WritableInternals)._writableState;
    if (code !== undefined && code !== constants.NGHTTP2_NO_ERROR && state && !stream.writableEnded) {
      state.ending = true;
    }
    close(code, callback);
  };
}
