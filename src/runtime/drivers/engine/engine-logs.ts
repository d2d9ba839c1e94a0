import type { Readable } from "node:stream";
import { CanceledError, type OpenShellError } from "../../../errors.js";
import type { OutputChunk } from "../../exec-types.js";
import type { LogLine, LogOptions } from "../../log-types.js";
import { FrameDecoder } from "../../streams/frame-decoder.js";
import { LineSplitter } from "../../streams/line-splitter.js";
import { watchContainerRunning } from "./container-watchdog.js";
import type { EngineContext } from "./engine-context.js";

/** Opens the raw log stream; `framed` says whether it carries 8-byte frame headers. */
export type OpenLogStream = (options: LogOptions) => Promise<{ stream: Readable | Buffer; framed: boolean }>;

/** After a followed container stops, how long to let the engine flush the stream's tail before ending it. */
const STOPPED_GRACE_MS = 1_000;

/**
 * A container's log as lines. Following ends when the container stops (even on an engine that
 * leaves the stream open), throws when the engine goes away, and throws CanceledError on abort.
 */
export async function* engineLogLines(
  engine: EngineContext,
  containerId: string,
  options: LogOptions,
  open: OpenLogStream,
): AsyncGenerator<LogLine> {
  const what = `logs of container ${containerId}`;
  const signal = options.signal;
  signal?.throwIfAborted();
  const { stream, framed } = await engine.call(what, () => open(options));
  const chunks: Iterable<Buffer> | AsyncIterable<Buffer> = Buffer.isBuffer(stream)
    ? [stream]
    : (stream as AsyncIterable<Buffer>);
  let cutReason: OpenShellError | undefined;
  const destroy = () => {
    if (!Buffer.isBuffer(stream)) stream.destroy();
  };
  const onAbort = () => {
    cutReason ??= new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal?.reason });
    destroy();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let graceTimer: NodeJS.Timeout | undefined;
  let endedByStop = false;
  const watchdog = options.follow
    ? watchContainerRunning(engine, containerId, () => {
        graceTimer = setTimeout(() => {
          endedByStop = true;
          destroy();
        }, STOPPED_GRACE_MS).unref();
      })
    : undefined;
  const decoder = framed ? new FrameDecoder() : undefined;
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  const timestamps = options.timestamps ?? false;
  try {
    try {
      for await (const chunk of chunks) {
        const pieces: OutputChunk[] =
          decoder === undefined ? [{ stream: "stdout", data: chunk }] : decoder.push(chunk);
        for (const piece of pieces) {
          for (const text of splitters[piece.stream].push(piece.data))
            yield toLine(piece.stream, text, timestamps);
        }
      }
    } catch (error) {
      // We closed a stream the engine left open after the container stopped: that is its end.
      if (!endedByStop || cutReason !== undefined) {
        throw cutReason ?? engine.error(error, `${what}: the log stream broke`);
      }
    }
    if (cutReason !== undefined) throw cutReason;
    for (const name of ["stdout", "stderr"] as const) {
      const rest = splitters[name].flush();
      if (rest !== undefined && rest !== "") yield toLine(name, rest, timestamps);
    }
  } finally {
    watchdog?.stop();
    clearTimeout(graceTimer);
    signal?.removeEventListener("abort", onAbort);
    destroy();
  }
}

/** With timestamps, the engine starts each line with an RFC 3339 time and a space. */
function toLine(stream: LogLine["stream"], text: string, timestamps: boolean): LogLine {
  if (!timestamps) return { stream, text };
  const space = text.indexOf(" ");
  const stamp = space === -1 ? text : text.slice(0, space);
  const time = new Date(stamp);
  if (Number.isNaN(time.getTime())) return { stream, text };
  return { stream, text: space === -1 ? "" : text.slice(space + 1), timestamp: time };
}
