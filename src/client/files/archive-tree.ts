import { ProtocolError } from "../../errors.js";
import { type EntryOwner, readFirstEntry, withOwner } from "./archive-entry.js";
import { ARCHIVE_MIN_BYTES } from "./archive-read.js";
import { ByteReader } from "./byte-reader.js";
import type { FileFailureContext } from "./files-errors.js";
import type { ArchiveAccess, FilesArchive, FilesTarget, TransferOptions } from "./files-target.js";
import { feedScript } from "./receiver.js";
import { splitPath } from "./remote-path.js";
import { collectOutput } from "./script-run.js";
import { asCallerError, discard, temporaryBeside } from "./send-file.js";
import { placeTreeScript, scriptCommand, untarScript } from "./shell-scripts.js";
import { BLOCK, decodeHeader, padding } from "./tar-header.js";
import { type PackEntry, packTree } from "./tar-pack.js";
import { CHUNK_BYTES } from "./write-source.js";

/**
 * Uploads a directory through the engine's archive API (local mode), with the exec path's steps
 * around it: the exec path's unpack step, fed an empty archive, makes the temporary directory as
 * the sandbox's user (so its refusals and missing tools are the exec path's own); the engine must
 * then see that directory, whose owner every entry gets; the tree goes in as one tar stream; the
 * exec path's place step moves it into place. Resolves undefined, having sent nothing, when the
 * archive API is not for this tree (under ARCHIVE_MIN_BYTES, or a place the engine does not see).
 */
export async function uploadTreeThroughArchive(
  target: FilesTarget,
  archive: FilesArchive,
  remotePath: string,
  entries: PackEntry[],
  total: number,
  options: TransferOptions,
): Promise<number | undefined> {
  if (total < ARCHIVE_MIN_BYTES) return undefined;
  const { signal, onProgress } = options;
  const what = `upload to ${JSON.stringify(remotePath)}`;
  const context: FileFailureContext = { sandboxName: target.name, operation: "upload", path: remotePath };
  const temporary = temporaryBeside(remotePath);
  let access: ArchiveAccess | undefined;
  try {
    access = await archive.open(signal);
  } catch (error) {
    throw asCallerError(error, signal, what);
  }
  if (access === undefined || !access.writes(splitPath(temporary).dir)) return undefined;
  let bytes = 0;
  try {
    signal?.throwIfAborted();
    await feedScript(target, scriptCommand(untarScript, [remotePath, temporary]), context, endOfArchive(), {
      signal,
    });
    const owner = await directoryOwner(access, temporary, signal);
    if (owner === undefined) {
      await discard(target, temporary);
      return undefined;
    }
    const counted = (n: number) => {
      bytes += n;
      onProgress?.({ bytes, total });
    };
    // Without the root's own entry: the engine would give the temporary directory the local root's
    // mode, where busybox's `tar -x -C` (the exec path) leaves the mode mkdir gave it.
    const below = entries.filter((entry) => entry.name !== "./");
    await access.put(temporary, ownedBy(packTree(below, counted), owner), signal);
    await collectOutput(
      target.execStream(scriptCommand(placeTreeScript, [remotePath, temporary]), {
        noLoginShell: true,
        ...(signal ? { signal } : {}),
      }),
      context,
    );
    return bytes;
  } catch (error) {
    // The temporary directory is the sandbox user's and not sticky: whatever the engine left in it
    // (a root-owned partial file) goes with it.
    await discard(target, temporary);
    throw asCallerError(error, signal, what);
  }
}

/** A tar stream holding nothing: `tar -x` reads it and ends at once. */
async function* endOfArchive(): AsyncGenerator<Uint8Array> {
  yield Buffer.alloc(2 * BLOCK);
}

/** The owner of the directory the sandbox's user just made, as the engine sees it; undefined if it does not. */
async function directoryOwner(
  access: ArchiveAccess,
  dir: string,
  signal: AbortSignal | undefined,
): Promise<EntryOwner | undefined> {
  let reader: ByteReader | undefined;
  try {
    reader = new ByteReader(await access.get(dir, signal));
    const entry = await readFirstEntry(reader);
    await reader.close();
    const name = entry.name.replace(/\/+$/, "");
    return entry.type === "directory" && name === splitPath(dir).base ? entry.owner : undefined;
  } catch (error) {
    await reader?.close().catch(() => undefined);
    if (signal?.aborted) throw error;
    return undefined;
  }
}

/**
 * The SDK's tar stream with every header's owner set to `owner`: the engine unpacks as root and
 * keeps header ids, where the exec path's `tar -x` runs as the sandbox's user and owns everything.
 */
async function* ownedBy(source: AsyncIterable<Uint8Array>, owner: EntryOwner): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(source);
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block.length === 0) return;
    if (block.length < BLOCK) throw new ProtocolError("the upload's tar stream ended inside a header");
    const header = decodeHeader(block);
    if (header === undefined) {
      yield block;
      continue;
    }
    yield withOwner(Buffer.from(block), owner);
    for (let left = header.size + padding(header.size); left > 0; ) {
      const chunk = await reader.readSome(Math.min(left, CHUNK_BYTES));
      if (chunk.length === 0) throw new ProtocolError("the upload's tar stream ended inside an entry");
      left -= chunk.length;
      yield chunk;
    }
  }
}
