import { TimeoutError } from "openshell";

/**
 * The lines of an NDJSON body as they arrive, blank (heartbeat) lines skipped. When nothing at all
 * (not even a heartbeat) arrives for `idleTimeoutMs`, `onIdle` is called with a TimeoutError and
 * is expected to abort the request, which ends the read.
 */
export async function* ndjsonLines(
  body: ReadableStream<Uint8Array>,
  idleTimeoutMs: number,
  onIdle: (err: TimeoutError) => void,
): AsyncGenerator<string> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        onIdle(
          new TimeoutError(
            `the adapter service sent nothing for ${idleTimeoutMs} ms (it sends a heartbeat line every 15 s by default); it may be stuck or gone`,
          ),
        ),
      idleTimeoutMs,
    );
  };
  try {
    for (;;) {
      // Only the wait for the service counts as idle, not the time the consumer takes per line.
      arm();
      const { done, value } = await reader.read();
      clearTimeout(timer);
      if (done) break;
      buffer += value;
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line !== "") yield line;
        newline = buffer.indexOf("\n");
      }
    }
    if (buffer.trim() !== "") yield buffer.trim();
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}
