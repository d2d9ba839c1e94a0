import { PassThrough, type Readable } from "node:stream";
import { CanceledError } from "../../../errors.js";
import type { EngineContext } from "./engine-context.js";

/**
 * The archive as the caller reads it. The request's own abort surfaces mid-stream as a bare
 * ECONNRESET "aborted", which says nothing of the caller's signal: the stream ends with a
 * CanceledError instead, and a broken connection with the engine error it maps to. A caller who
 * stops reading early (destroys it, breaks out of a loop) closes the request as well.
 */
export function callerArchive(
  engine: EngineContext,
  what: string,
  response: Readable,
  signal: AbortSignal | undefined,
): Readable {
  const archive = new PassThrough();
  const canceled = () => new CanceledError(`${what}: canceled by the caller's signal`);
  const onAbort = () => archive.destroy(canceled());
  response.on("error", (error) => archive.destroy(signal?.aborted ? canceled() : engine.error(error, what)));
  archive.on("close", () => {
    signal?.removeEventListener("abort", onAbort);
    response.destroy();
  });
  response.pipe(archive);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  return archive;
}
