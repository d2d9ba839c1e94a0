import type { InteractiveExec } from "../exec/exec-interactive.js";
import type { FileFailureContext } from "./files-errors.js";
import type { FilesTarget, TransferProgress } from "./files-target.js";
import { ScriptStderr, scriptOutput } from "./script-run.js";

/**
 * The line a receiving script prints once its checks passed and it reads stdin, with an optional
 * word after a colon (the write's checksum tool).
 */
const READY = /openshell-files:ready(?::([a-z0-9]*))?\n/;

/**
 * Runs a script that reads a transfer from stdin (`cat >`, `tar -x`) and feeds it `chunks`. Nothing
 * is sent until the script printed that it is ready: a script that refuses (a missing tool, a
 * missing directory) then ends before any data is in flight, so its refusal is never lost in a
 * race with stdin (Podman's exec attach drops a command's last output when the command exits while
 * its stdin is still being written). Each chunk is sent only once the transport took the one
 * before, so memory stays bounded. Resolves when the script exited 0 after the end of input.
 */
export async function feedScript(
  target: FilesTarget,
  command: string[],
  context: FileFailureContext,
  chunks: AsyncIterable<Uint8Array>,
  options: {
    signal?: AbortSignal | undefined;
    /** Called once the script is ready, before the first chunk, with the word on its ready line ("" if none). */
    onReady?: (word: string) => void;
    onChunk?: (chunk: Uint8Array) => void;
  },
): Promise<void> {
  const session: InteractiveExec = await target.execInteractive(command, {
    noLoginShell: true,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let markReady: (word: string | undefined) => void = () => undefined;
  const ready = new Promise<string | undefined>((resolve) => {
    markReady = resolve;
  });
  const outcome = (async () => {
    let seen = "";
    let found = false;
    try {
      // Found anywhere in the first output, after whatever a login shell printed (see output-start.ts).
      for await (const chunk of scriptOutput(session.events, context, new ScriptStderr())) {
        if (seen.length < 64 * 1024 && !found) {
          seen += Buffer.from(chunk).toString("latin1");
          const line = READY.exec(seen);
          if (line !== null) {
            found = true;
            markReady(line[1] ?? "");
          }
        }
      }
    } finally {
      markReady(undefined);
    }
  })();
  outcome.catch(() => undefined);
  // Settles when the script ends: early (a refusal, a dead sandbox) or after the end of input.
  const ended = outcome.then(
    () => "ended" as const,
    () => "ended" as const,
  );
  try {
    const word = await ready;
    if (word !== undefined) {
      options.onReady?.(word);
      for await (const chunk of chunks) {
        options.onChunk?.(chunk);
        // A write to a command that has ended is never taken: the outcome says why instead.
        if ((await Promise.race([session.write(chunk).then(() => "sent" as const), ended])) === "ended")
          break;
      }
      session.end();
    }
    await outcome;
  } catch (error) {
    session.close();
    throw error;
  }
}

/** Progress as `onProgress` reports it: the total only when known. */
export function progressOf(bytes: number, total: number | undefined): TransferProgress {
  return total === undefined ? { bytes } : { bytes, total };
}
