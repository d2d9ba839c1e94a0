import { ProtocolError } from "../../errors.js";
import { readFirstEntry } from "./archive-entry.js";
import { ByteReader } from "./byte-reader.js";
import type { FilesArchive, TransferOptions } from "./files-target.js";
import { BEGIN } from "./output-start.js";
import { progressOf } from "./receiver.js";
import { splitPath } from "./remote-path.js";
import { asCallerError } from "./send-file.js";
import { copyBatches } from "./write-batches.js";
import { CHUNK_BYTES } from "./write-source.js";

/**
 * The least size a file moves through the engine's archive API. Each archive call costs the engine
 * about as much as an exec (Docker mounts the container's filesystem for each, ~70 ms here), and
 * the write path adds one, so below a few MiB exec is as fast; measured on this project's machine,
 * 128 MiB went up in 1.55 s instead of 2.49 s (Docker) and 2.0 s instead of 3.25 s (Podman).
 */
export const ARCHIVE_MIN_BYTES = 8 * 1024 * 1024;

/**
 * args: path, the exec path's read script, the least size. Run as the sandbox's user. A regular
 * file (not a link) this user may read, of at least that size, is answered with an
 * `archive:<size>` line and the path's real directory (no symlink in it): the engine reads as root,
 * so this user's right to read is checked here. Anything else runs the read script itself, so the
 * exec path costs no extra exec and answers missing files, directories and refusals in its words.
 */
export const decideReadScript = `p=$1
if [ -f "$p" ] && [ ! -L "$p" ] && [ -r "$p" ]; then
  s=$(stat -L -c %s -- "$p" 2>/dev/null) || s=0
  if [ "$s" -ge "$3" ] 2>/dev/null; then
    d=\${p%/*}; d=\${d:-/}
    if r=$(cd -P -- "$d" 2>/dev/null && pwd -P); then printf '${BEGIN.trimEnd()}\\narchive:%s\\n%s\\n' "$s" "$r"; exit 0; fi
  fi
fi
exec sh -c "$2" sh "$1"`;

/**
 * A file's bytes through the engine's archive API, or undefined when the exec path must read it:
 * a path on a mount the engine does not see (Docker and tmpfs), or one the engine will not give
 * (changed since the check). `real` is the file's real path. Resolves once the engine has
 * started the stream; the bytes are the tar entry's data, passed on as they arrive. With
 * `reuseChunks` the engine's answer is read into reused memory and handed on in batches of
 * 1 MiB of one reused buffer (copyBatches): each is only valid until the next is asked for (a
 * download writes it first); without, every chunk is the caller's.
 */
export async function archiveFileBytes(
  archive: FilesArchive,
  real: string,
  options: TransferOptions & { what: string; reuseChunks?: boolean | undefined },
): Promise<AsyncIterable<Uint8Array> | undefined> {
  const { signal, onProgress, what } = options;
  const access = await archive.open(signal);
  if (access === undefined || !access.reads(real)) return undefined;
  let reader: ByteReader;
  try {
    reader = new ByteReader(
      await access.get(real, signal, options.reuseChunks ? { reuseBuffers: true } : undefined),
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    return undefined; // gone or changed since the check: the exec path says what it is now
  }
  const entry = await readFirstEntry(reader).catch(async (error: unknown) => {
    await reader.close().catch(() => undefined);
    throw error;
  });
  if (entry.type !== "file" || entry.name !== splitPath(real).base) {
    await reader.close().catch(() => undefined);
    return undefined;
  }
  const data = entryData(reader, entry.size, onProgress, signal, what);
  // The engine's chunks are views of its reader's reused buffers: copied into batches of 1 MiB.
  return options.reuseChunks ? copyBatches(data) : data;
}

async function* entryData(
  reader: ByteReader,
  size: number,
  onProgress: TransferOptions["onProgress"],
  signal: AbortSignal | undefined,
  what: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  let bytes = 0;
  try {
    while (bytes < size) {
      const chunk = await reader.readSome(Math.min(size - bytes, CHUNK_BYTES));
      if (chunk.length === 0) throw new ProtocolError(`${what}: the engine's archive ended inside the file`);
      bytes += chunk.length;
      onProgress?.(progressOf(bytes, size));
      yield chunk;
    }
    await reader.drain();
  } catch (error) {
    throw asCallerError(error, signal, what);
  } finally {
    if (bytes < size) await reader.close().catch(() => undefined);
  }
}
