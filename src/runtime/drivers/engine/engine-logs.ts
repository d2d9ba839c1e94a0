import type { Readable } from "node:stream";
import { CanceledError, type OpenShellError } from "../../../errors.js";
import type { OutputChunk } from "../../exec-types.js";
import type { LogLine, LogOptions } from "../../log-types.js";
import { FrameDecoder } from "../../streams/frame-decoder.js";
import { LineSplitter } from "../../streams/line-splitter.js";
import type { ContainerStopNotice, ContainerWatch } from "./container-watchdog.js";
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
  let stream: Readable | Buffer | undefined;
  let cutReason: OpenShellError | undefined;
  let endedByStop = false;
  // Cutting also cancels an open still under way: an engine may send nothing, not even its
  // headers, until the container writes its first line.
  const opening = new AbortController();
  const destroy = () => {
    opening.abort();
    if (stream !== undefined && !Buffer.isBuffer(stream)) stream.destroy();
  };
  let graceTimer: NodeJS.Timeout | undefined;
  const onStop = (notice: ContainerStopNotice) => {
    if (notice.kind === "lost") {
      cutReason ??= notice.error;
      destroy();
      return;
    }
    graceTimer = setTimeout(() => {
      endedByStop = true;
      destroy();
    }, STOPPED_GRACE_MS).unref();
  };
  const onAbort = () => {
    cutReason ??= new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal?.reason });
    destroy();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let watch: ContainerWatch | undefined;
  try {
    // Watching starts before the stream opens: a death in between is then told, not missed.
    if (options.follow) watch = await engine.watchdog.watch(containerId, onStop, what, signal);
    let opened: Awaited<ReturnType<OpenLogStream>>;
    try {
      opened = await engine.call(what, () => open({ ...options, signal: opening.signal }));
    } catch (error) {
      if (cutReason !== undefined) throw cutReason;
      if (endedByStop) return;
      throw error;
    }
    stream = opened.stream;
    const chunks: Iterable<Buffer> | AsyncIterable<Buffer> = Buffer.isBuffer(stream)
      ? [stream]
      : (stream as AsyncIterable<Buffer>);
    const decoder = opened.framed ? new FrameDecoder() : undefined;
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const timestamps = options.timestamps ?? false;
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
    watch?.stop();
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
