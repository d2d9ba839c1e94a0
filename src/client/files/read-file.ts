import { ARCHIVE_MIN_BYTES, archiveFileBytes, decideReadScript } from "./archive-read.js";
import type { FileFailureContext } from "./files-errors.js";
import type { FilesTarget, TransferOptions } from "./files-target.js";
import { afterHeaderLine, afterMarker, BEGIN } from "./output-start.js";
import { progressOf } from "./receiver.js";
import { splitPath } from "./remote-path.js";
import { scriptOutput } from "./script-run.js";
import { asCallerError } from "./send-file.js";
import { readScript, scriptCommand, tarScript } from "./shell-scripts.js";

/**
 * Streams a sandbox file's bytes as the exec stream carries them (stdout, never decoded), pulled as
 * the caller reads, so HTTP/2 flow control holds the sandbox back when the caller is slow. The
 * file's size comes first (when the image has `stat`) as the progress total. In local mode a file
 * of ARCHIVE_MIN_BYTES or more comes through the engine's archive API instead where it reads the
 * same file: the one exec then only decides (archive-read.ts), and any other file is read by it.
 * `reuseChunks`: the caller is done with each chunk when it asks for the next (a download writes
 * it first), so the archive path may hand out views of reused memory instead of a Buffer per read.
 */
export async function* readFileStream(
  target: FilesTarget,
  path: string,
  options: TransferOptions & { operation: string; reuseChunks?: boolean | undefined },
): AsyncGenerator<Uint8Array, void, undefined> {
  const archive = target.archive;
  if (archive === undefined) {
    yield* streamScript(target, readScript, path, options, true);
    return;
  }
  const { signal, onProgress } = options;
  const what = `${options.operation} ${JSON.stringify(path)}`;
  const context: FileFailureContext = { sandboxName: target.name, operation: options.operation, path };
  let header = "";
  let total: number | undefined;
  let bytes = 0;
  const decided: Buffer[] = [];
  try {
    const events = target.execStream(
      scriptCommand(decideReadScript, [path, readScript, String(ARCHIVE_MIN_BYTES)]),
      { noLoginShell: true, ...(signal ? { signal } : {}) },
    );
    const output = afterHeaderLine(afterMarker(scriptOutput(events, context), BEGIN), (line) => {
      header = line;
      total = sizeOf(line);
    });
    for await (const chunk of output) {
      if (header.startsWith("archive:")) {
        decided.push(Buffer.from(chunk));
        continue;
      }
      bytes += chunk.length;
      onProgress?.(progressOf(bytes, total));
      yield chunk;
    }
  } catch (error) {
    throw asCallerError(error, signal, what);
  }
  if (!header.startsWith("archive:")) return;
  const dir = Buffer.concat(decided).toString("utf8").replace(/\n$/, "");
  const { base } = splitPath(path);
  const real = dir === "/" ? `/${base}` : `${dir}/${base}`;
  const fast = await archiveFileBytes(archive, real, { ...options, what }).catch((error: unknown) => {
    throw asCallerError(error, signal, what);
  });
  yield* fast ?? streamScript(target, readScript, path, options, true);
}

/** The total a read's header line gives: `size:<n>` (exec path) or `archive:<n>`; none when empty. */
function sizeOf(line: string): number | undefined {
  const colon = line.indexOf(":");
  const size = colon < 0 ? Number.NaN : Number.parseInt(line.slice(colon + 1), 10);
  return Number.isSafeInteger(size) ? size : undefined;
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
