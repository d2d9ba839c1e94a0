import type { ServerResponse } from "node:http";
import { type WireErrorBody, wireError } from "./wire-errors.js";

/** The content type of the logs and watch streams: one JSON value per line. */
export const NDJSON_CONTENT_TYPE = "application/x-ndjson";

/** How long a stream's first item (or failure) is awaited before its 200 headers go out. */
export const FIRST_ITEM_WAIT_MS = 500;

/** How a stream is run. */
export interface NdjsonStreamOptions {
  /** Aborted when the client goes away or the service closes; the adapter's iterable got it too. */
  signal: AbortSignal;
  /** An idle stream writes an empty line this often. */
  heartbeatMs: number;
  /** The last line when `signal` fires while the client is still there (the service is closing). */
  closingLine: () => WireErrorBody | undefined;
}

const ABORTED = Symbol("aborted");
const WAITED = Symbol("waited");

function delay(ms: number): { promise: Promise<typeof WAITED>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<typeof WAITED>((resolve) => {
    timer = setTimeout(() => resolve(WAITED), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Streams `iterable` as NDJSON. Failures that come before the first item (a bad deployment, an
 * unknown one) are thrown, so the caller answers them with their status; a later failure becomes
 * the stream's last line, `{"error":{…}}`. Whatever ends the stream, the iterator is closed, and a
 * next() still pending when `signal` fired is abandoned rather than awaited: an adapter that
 * ignores its signal cannot hold the response (or the service's close) open.
 */
export async function streamNdjson<T>(
  res: ServerResponse,
  iterable: AsyncIterable<T>,
  options: NdjsonStreamOptions,
): Promise<void> {
  const { signal } = options;
  const iterator = iterable[Symbol.asyncIterator]();
  let onAbort = () => {};
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    if (signal.aborted) resolve(ABORTED);
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  let heartbeat: NodeJS.Timeout | undefined;
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    pending = iterator.next();
    const wait = delay(FIRST_ITEM_WAIT_MS);
    // A failure here is thrown to the caller, before any header is written.
    let step = await Promise.race([pending, aborted, wait.promise]).finally(wait.cancel);
    if (step === ABORTED) return;
    res.writeHead(200, {
      "Content-Type": NDJSON_CONTENT_TYPE,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
    res.flushHeaders();
    let idle = true;
    heartbeat = setInterval(() => {
      if (idle) res.write("\n");
      idle = true;
    }, options.heartbeatMs);
    try {
      for (;;) {
        if (step === WAITED) step = await Promise.race([pending, aborted]);
        if (step === ABORTED) break;
        if (step.done) break;
        idle = false;
        if (!res.write(`${JSON.stringify(step.value)}\n`)) {
          if ((await Promise.race([drained(res), aborted])) === ABORTED) break;
        }
        pending = iterator.next();
        step = await Promise.race([pending, aborted]);
      }
      if (signal.aborted) {
        const line = options.closingLine();
        if (line !== undefined && !res.destroyed) res.write(`${JSON.stringify(line)}\n`);
      }
    } catch (err) {
      pending = undefined;
      if (!res.destroyed) res.write(`${JSON.stringify(wireError(err).body)}\n`);
    }
    res.end();
  } finally {
    clearInterval(heartbeat);
    signal.removeEventListener("abort", onAbort);
    closeIterator(iterator, pending);
  }
}

/**
 * Resolves when a full response buffer drains or the response closes. Both listeners go when
 * either fires: a long stream to a slow client waits for drain many times.
 */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Closes the adapter's iterator: at once, or once its abandoned next() settles (generators queue return()). */
function closeIterator<T>(iterator: AsyncIterator<T>, pending: Promise<IteratorResult<T>> | undefined): void {
  const close = () => {
    Promise.resolve()
      .then(() => iterator.return?.())
      .catch(() => {});
  };
  if (pending === undefined) close();
  else pending.then(close, () => {});
}
