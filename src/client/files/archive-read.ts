import { ProtocolError } from "../../errors.js";
import { readFirstEntry } from "./archive-entry.js";
import { ByteReader } from "./byte-reader.js";
import type { FileFailureContext } from "./files-errors.js";
import type { FilesArchive, FilesTarget, TransferOptions } from "./files-target.js";
import { BEGIN } from "./output-start.js";
import { progressOf } from "./receiver.js";
import { splitPath } from "./remote-path.js";
import { collectOutput } from "./script-run.js";
import { asCallerError } from "./send-file.js";
import { scriptCommand } from "./shell-scripts.js";
import { CHUNK_BYTES } from "./write-source.js";

/**
 * args: path. Run as the sandbox's user: prints "archive" and the real directory of the path (no
 * symlink in it) when the path is a regular file, not a link, that this user may read; else "exec"
 * (missing, a directory, a link, unreadable: the exec path then reads it or says why it cannot,
 * in its own words). The engine reads as root, so this user's right to read is checked here.
 */
const readCheckScript = `printf '${BEGIN.trimEnd()}\\n'
p=$1
if [ -f "$p" ] && [ ! -L "$p" ] && [ -r "$p" ]; then
  d=\${p%/*}; d=\${d:-/}
  if r=$(cd -P -- "$d" 2>/dev/null && pwd -P); then printf 'archive\\n%s\\n' "$r"; exit 0; fi
fi
echo exec`;

/**
 * A file's bytes through the engine's archive API (local mode), or undefined when the exec path
 * must read it: a path the sandbox's user may not read, a link, a path on a mount the engine does
 * not see (Docker and tmpfs), or an engine that will not give it. Resolves once the engine has
 * started the stream; the bytes are the tar entry's data, passed on as they arrive.
 */
export async function archiveReadStream(
  target: FilesTarget,
  archive: FilesArchive,
  path: string,
  options: TransferOptions & { operation: string },
): Promise<AsyncIterable<Uint8Array> | undefined> {
  const { signal, onProgress } = options;
  const what = `${options.operation} ${JSON.stringify(path)}`;
  const context: FileFailureContext = { sandboxName: target.name, operation: options.operation, path };
  try {
    const access = await archive.open(signal);
    if (access === undefined) return undefined;
    const answer = (
      await collectOutput(
        target.execStream(scriptCommand(readCheckScript, [path]), {
          noLoginShell: true,
          ...(signal ? { signal } : {}),
        }),
        context,
      )
    ).toString("utf8");
    if (!answer.startsWith("archive\n")) return undefined;
    const dir = answer.slice("archive\n".length).replace(/\n$/, "");
    const { base } = splitPath(path);
    const real = dir === "/" ? `/${base}` : `${dir}/${base}`;
    if (!access.reads(real)) return undefined;
    let reader: ByteReader;
    try {
      reader = new ByteReader(await access.get(real, signal));
    } catch (error) {
      if (signal?.aborted) throw error;
      return undefined; // gone or changed since the check: the exec path says what it is now
    }
    const entry = await readFirstEntry(reader).catch(async (error: unknown) => {
      await reader.close().catch(() => undefined);
      throw error;
    });
    if (entry.type !== "file") {
      await reader.close().catch(() => undefined);
      return undefined;
    }
    return entryData(reader, entry.size, onProgress, signal, what);
  } catch (error) {
    throw asCallerError(error, signal, what);
  }
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
      if (chunk.length === 0) throw new ProtocolError("the engine's archive ended inside the file");
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
