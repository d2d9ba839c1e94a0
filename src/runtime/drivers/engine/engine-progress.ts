import type { Readable } from "node:stream";
import { CanceledError, ContainerRuntimeError, NotFoundError } from "../../../errors.js";
import type { ProgressEvent } from "../../image-types.js";
import { jsonLines } from "../../streams/json-lines.js";
import type { EngineContext } from "./engine-context.js";

/**
 * Reads a pull, build or load progress stream to its very end. The engine reports failures inside
 * the stream (`{"error": ...}`) with a 200 status, and an image is only ready once the stream has
 * ended, so resolving earlier would hand back an image that is not there yet. Returns every
 * message, for callers that look for the result in them (`Successfully built`, `Loaded image`).
 */
export async function followProgress(
  engine: EngineContext,
  what: string,
  stream: Readable,
  onProgress: ((event: ProgressEvent) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>[]> {
  if (signal?.aborted) {
    stream.destroy();
    throw new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal.reason });
  }
  const onAbort = () => stream.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  const messages: Record<string, unknown>[] = [];
  try {
    for await (const message of jsonLines(stream as AsyncIterable<Buffer>, (line) =>
      onProgress?.({ message: line }),
    )) {
      messages.push(message);
      const error = errorOf(message);
      if (error !== undefined) {
        // Podman reports a missing image inside a 200 stream where Docker answers 404 up front;
        // both must reach the caller as NotFoundError.
        if (/manifest unknown|not found|no such image|does not exist/i.test(error)) {
          throw new NotFoundError(`${what}: ${error}`);
        }
        throw new ContainerRuntimeError(`${what}: ${error}`, { runtime: engine.kind });
      }
      const event = toProgressEvent(message);
      if (event !== undefined && !signal?.aborted) onProgress?.(event);
    }
  } catch (error) {
    if (signal?.aborted)
      throw new CanceledError(`${what}: canceled by the caller's signal`, { cause: error });
    throw engine.error(error, what);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (signal?.aborted) throw new CanceledError(`${what}: canceled by the caller's signal`);
  return messages;
}

function errorOf(message: Record<string, unknown>): string | undefined {
  const detail = message.errorDetail as { message?: unknown } | undefined;
  if (typeof detail?.message === "string" && detail.message !== "") return detail.message;
  if (typeof message.error === "string" && message.error !== "") return message.error;
  return undefined;
}

function toProgressEvent(message: Record<string, unknown>): ProgressEvent | undefined {
  // Build output arrives as {"stream": "Step 1/3 : FROM ...\n"}; pull and load as
  // {"status": "Downloading", "id": "...", "progressDetail": {"current": n, "total": m}}.
  const text = typeof message.stream === "string" ? message.stream : message.status;
  if (typeof text !== "string") return undefined;
  const trimmed = text.replace(/\n+$/, "");
  if (trimmed === "") return undefined;
  const detail = (message.progressDetail ?? {}) as { current?: unknown; total?: unknown };
  return {
    message: trimmed,
    ...(typeof message.id === "string" ? { id: message.id } : {}),
    ...(typeof detail.current === "number" ? { current: detail.current } : {}),
    ...(typeof detail.total === "number" ? { total: detail.total } : {}),
  };
}
