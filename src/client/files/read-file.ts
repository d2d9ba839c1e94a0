import { archiveReadStream } from "./archive-read.js";
import type { FileFailureContext } from "./files-errors.js";
import type { FilesTarget, TransferOptions } from "./files-target.js";
import { afterHeaderLine, afterMarker, BEGIN } from "./output-start.js";
import { progressOf } from "./receiver.js";
import { scriptOutput } from "./script-run.js";
import { asCallerError } from "./send-file.js";
import { readScript, scriptCommand, tarScript } from "./shell-scripts.js";

/**
 * Streams a sandbox file's bytes as the exec stream carries them (stdout, never decoded), pulled as
 * the caller reads, so HTTP/2 flow control holds the sandbox back when the caller is slow. The
 * file's size comes first (when the image has `stat`) as the progress total. In local mode the bytes
 * come through the engine's archive API instead where it reads the same file (archive-read.ts).
 */
export async function* readFileStream(
  target: FilesTarget,
  path: string,
  options: TransferOptions & { operation: string },
): AsyncGenerator<Uint8Array, void, undefined> {
  const fast = target.archive && (await archiveReadStream(target, target.archive, path, options));
  if (fast) {
    yield* fast;
    return;
  }
  yield* streamScript(target, readScript, path, options, true);
}

/** Streams a tar archive of a sandbox directory's contents (`tar -c`, symlinks kept as links). */
export async function* readTarStream(
  target: FilesTarget,
  path: string,
  options: TransferOptions & { operation: string },
): AsyncGenerator<Uint8Array, void, undefined> {
  yield* streamScript(target, tarScript, path, options, false);
}

async function* streamScript(
  target: FilesTarget,
  script: string,
  path: string,
  options: TransferOptions & { operation: string },
  sizeHeader: boolean,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal, onProgress } = options;
  const context: FileFailureContext = { sandboxName: target.name, operation: options.operation, path };
  let total: number | undefined;
  let bytes = 0;
  const readSize = (line: string) => {
    const size = line.startsWith("size:") ? Number.parseInt(line.slice("size:".length), 10) : Number.NaN;
    if (Number.isSafeInteger(size)) total = size;
  };
  try {
    const events = target.execStream(scriptCommand(script, [path]), {
      noLoginShell: true,
      ...(signal ? { signal } : {}),
    });
    const output = afterMarker(scriptOutput(events, context), BEGIN);
    for await (const chunk of sizeHeader ? afterHeaderLine(output, readSize) : output) {
      bytes += chunk.length;
      onProgress?.(progressOf(bytes, total));
      yield chunk;
    }
  } catch (error) {
    throw asCallerError(error, signal, `${options.operation} ${JSON.stringify(path)}`);
  }
}
