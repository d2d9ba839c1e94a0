import { sleep } from "../../timing/sleep.js";
import type { DraftChunk, DraftPolicy } from "./draft-chunk.js";

/** Settings of {@link watchDraftChunks}, checked and defaulted by the caller. */
export interface DraftWatchSettings {
  intervalMs: number;
  includeExisting: boolean;
  signal: AbortSignal | undefined;
}

/**
 * Polls `read` (the pending chunks) and yields chunks whose id was not pending at the previous
 * read, so a chunk undone back to pending is announced again but a growing hit count is not.
 */
export async function* watchDraftChunks(
  read: (signal: AbortSignal | undefined) => Promise<DraftPolicy>,
  { intervalMs, includeExisting, signal }: DraftWatchSettings,
): AsyncGenerator<DraftChunk, void, undefined> {
  let seen: Set<string> | undefined = includeExisting ? new Set() : undefined;
  while (!signal?.aborted) {
    let draft: DraftPolicy;
    try {
      draft = await read(signal);
    } catch (err) {
      // Cancelled by our own signal: the watch ends, as documented, instead of throwing.
      if (signal?.aborted) return;
      throw err;
    }
    const pending = new Set(draft.chunks.map((c) => c.id));
    if (seen) {
      for (const chunk of draft.chunks) {
        if (seen.has(chunk.id)) continue;
        yield chunk;
        if (signal?.aborted) return;
      }
    }
    seen = pending;
    await sleep(intervalMs, signal);
  }
}
