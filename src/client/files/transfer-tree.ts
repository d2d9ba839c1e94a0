import { createReadStream } from "node:fs";
import { lstat, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { FailedPreconditionError, NotFoundError } from "../../errors.js";
import { uploadTreeThroughArchive } from "./archive-tree.js";
import { treeTarStream } from "./archive-tree-read.js";
import { writeFile } from "./archive-write.js";
import { fileChunksReusing } from "./file-chunks.js";
import type { FileFailureContext } from "./files-errors.js";
import type { VerifyOption } from "./files-options.js";
import type { FilesTarget, TransferOptions } from "./files-target.js";
import { localTemporary, placeLocalTree } from "./local-place.js";
import { readFileStream } from "./read-file.js";
import { feedScript } from "./receiver.js";
import { collectOutput } from "./script-run.js";
import { asCallerError, discard, temporaryBeside } from "./send-file.js";
import { kindScript, placeTreeScript, scriptCommand, untarScript } from "./shell-scripts.js";
import { packTree, treeBytes, walkTree } from "./tar-pack.js";
import { unpackTree } from "./tar-unpack.js";
import { batchChunks, writeBatch } from "./write-batches.js";
import { CHUNK_BYTES } from "./write-source.js";

/** What an upload or download moved. */
export interface TransferResult {
  /** `file` or `directory`. */
  kind: "file" | "directory";
  /** Bytes of file contents moved. */
  bytes: number;
}

/**
 * Copies a local file or directory into the sandbox. A file goes through `write` (confirmed, then
 * renamed into place, keeping its mode). A directory goes as a tar stream into `tar -x` in a
 * temporary directory beside the destination, moved into place only once tar has read all of it.
 */
export async function uploadPath(
  target: FilesTarget,
  localPath: string,
  remotePath: string,
  options: TransferOptions & VerifyOption,
): Promise<TransferResult> {
  const stats = await stat(localPath).catch((cause: unknown) => {
    throw new NotFoundError(`upload: the local path ${JSON.stringify(localPath)} does not exist`, { cause });
  });
  if (stats.isFile()) {
    const result = await writeFile(
      target,
      remotePath,
      {
        // Opened when first read: the archive path reads `reused` instead, and an unread stream
        // would hold its file open.
        chunks: (async function* () {
          yield* createReadStream(localPath, { highWaterMark: CHUNK_BYTES });
        })(),
        total: stats.size,
        reused: () => fileChunksReusing(localPath),
      },
      { ...options, mode: stats.mode & 0o7777, operation: "upload" },
    );
    return { kind: "file", bytes: result.size };
  }
  if (!stats.isDirectory()) {
    throw new FailedPreconditionError(`upload: ${JSON.stringify(localPath)} is not a file or a directory`);
  }
  const { signal, onProgress } = options;
  const context: FileFailureContext = { sandboxName: target.name, operation: "upload", path: remotePath };
  const entries = await walkTree(localPath);
  const total = treeBytes(entries);
  if (target.archive !== undefined) {
    const sent = await uploadTreeThroughArchive(target, target.archive, remotePath, entries, total, options);
    if (sent !== undefined) return { kind: "directory", bytes: sent };
  }
  const temporary = temporaryBeside(remotePath);
  let bytes = 0;
  try {
    signal?.throwIfAborted();
    const counted = (n: number) => {
      bytes += n;
      onProgress?.({ bytes, total });
    };
    await feedScript(
      target,
      scriptCommand(untarScript, [remotePath, temporary]),
      context,
      packTree(entries, counted),
      {
        signal,
      },
    );
    await collectOutput(
      target.execStream(scriptCommand(placeTreeScript, [remotePath, temporary]), {
        noLoginShell: true,
        ...(signal ? { signal } : {}),
      }),
      context,
    );
    return { kind: "directory", bytes };
  } catch (error) {
    await discard(target, temporary);
    throw asCallerError(error, signal, `upload to ${JSON.stringify(remotePath)}`);
  }
}

/**
 * Copies a sandbox file or directory to `localPath`, into a temporary beside it first, renamed into
 * place only when the whole stream arrived and its command exited 0. A directory comes as
 * `tar -c` output (symlinks as links, never followed out of the tree) unpacked by the SDK.
 */
export async function downloadPath(
  target: FilesTarget,
  remotePath: string,
  localPath: string,
  options: TransferOptions,
): Promise<TransferResult> {
  const { signal } = options;
  const context: FileFailureContext = { sandboxName: target.name, operation: "download", path: remotePath };
  const kind = (
    await collectOutput(
      target.execStream(scriptCommand(kindScript, [remotePath]), {
        noLoginShell: true,
        ...(signal ? { signal } : {}),
      }),
      context,
    ).catch((error: unknown) => {
      throw asCallerError(error, signal, `download ${JSON.stringify(remotePath)}`);
    })
  )
    .toString("utf8")
    .trim();
  if (kind === "missing")
    throw new NotFoundError(
      `download ${JSON.stringify(remotePath)} in sandbox "${target.name}": no such file or directory in the sandbox`,
    );
  const existing = await lstat(localPath).catch(() => undefined);
  if (existing && kind === "file" && existing.isDirectory()) {
    throw new FailedPreconditionError(
      `download: the local path ${JSON.stringify(localPath)} is a directory; name the file to write`,
    );
  }
  if (existing && kind === "directory" && !existing.isDirectory()) {
    throw new FailedPreconditionError(
      `download: the local path ${JSON.stringify(localPath)} is not a directory`,
    );
  }
  // Like `mkdir -p` for the destination's parents, so a download can name a new folder path.
  await mkdir(dirname(localPath), { recursive: true });
  const temporary = localTemporary(localPath);
  let bytes = 0;
  try {
    if (kind === "file") {
      // The archive path hands on 1 MiB batches of reused memory, each written before the next is
      // asked for; exec output is gathered as it came (no copy). One writev per batch, no write
      // stream's queue: the least a download allocates per byte, which sets its peak memory.
      const stream = readFileStream(target, remotePath, {
        ...options,
        operation: "download",
        reuseChunks: true,
      });
      const file = await open(temporary, "wx");
      try {
        for await (const batch of batchChunks(stream)) {
          signal?.throwIfAborted();
          bytes += await writeBatch(file, batch);
        }
      } finally {
        await file.close();
      }
      await rename(temporary, localPath);
      return { kind: "file", bytes };
    }
    await mkdir(temporary);
    const onProgress = options.onProgress;
    await unpackTree(
      treeTarStream(target, remotePath, {
        ...options,
        operation: "download",
        onProgress: undefined,
        reuseChunks: true,
      }),
      temporary,
      (n) => {
        bytes += n;
        onProgress?.({ bytes });
      },
    );
    await placeLocalTree(temporary, localPath);
    return { kind: "directory", bytes };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw asCallerError(error, signal, `download ${JSON.stringify(remotePath)}`);
  }
}
