import type { Hash } from "node:crypto";
import { FailedPreconditionError } from "../../errors.js";
import { type EntryOwner, fileEntryEnd, fileEntryStart } from "./archive-entry.js";
import { ARCHIVE_MIN_BYTES } from "./archive-read.js";
import type { FileFailureContext } from "./files-errors.js";
import type { ArchiveAccess, FilesArchive, FilesTarget } from "./files-target.js";
import { progressOf } from "./receiver.js";
import { splitPath } from "./remote-path.js";
import { collectOutput } from "./script-run.js";
import {
  asCallerError,
  checksumHash,
  confirmWrite,
  discard,
  sendFile,
  temporaryBeside,
  type WriteFileOptions,
  type WriteResult,
} from "./send-file.js";
import { claimScript, scriptCommand } from "./shell-scripts.js";
import type { WriteSource } from "./write-source.js";

/** A write whose data the engine's archive API can carry: its size must be known for the header. */
export type SizedSource = WriteSource & { total: number };

/**
 * Writes a file through the engine's archive API (local mode), with the exec path's behaviour:
 *
 * 1. the claim script (the exec path's receive checks, without data) creates the temporary beside
 *    `path` as the sandbox's user, so every refusal (missing directory, a directory there,
 *    read-only, no permission) is the exec path's own, and nothing is ever written where the
 *    sandbox's user could not write; it says the temporary's owner, which the data's entry gets;
 * 2. the engine is asked what it sees at that temporary (a stat, not a read): an empty file of that
 *    name, or it is looking somewhere else (Docker does not see tmpfs mounts); its permissions are
 *    the data's mode unless the caller gave one;
 * 3. the data goes as a one-entry tar stream into the temporary's directory, replacing it;
 * 4. the exec path's commit step checks size (and checksum) in the sandbox's own view and renames.
 *
 * Resolves undefined, having consumed none of `source`, when the archive API is not for this path;
 * the caller then writes through exec.
 */
export async function writeThroughArchive(
  target: FilesTarget,
  archive: FilesArchive,
  path: string,
  source: SizedSource,
  options: WriteFileOptions,
): Promise<WriteResult | undefined> {
  const { signal, onProgress } = options;
  const what = `${options.operation} ${JSON.stringify(path)}`;
  const context: FileFailureContext = { sandboxName: target.name, operation: options.operation, path };
  const { dir } = splitPath(path);
  let access: ArchiveAccess | undefined;
  try {
    access = await archive.open(signal);
  } catch (error) {
    throw asCallerError(error, signal, what);
  }
  if (access === undefined || !access.writes(dir)) return undefined;

  const temporary = temporaryBeside(path);
  let hash: Hash | undefined;
  let bytes = 0;
  // A failure of the data itself (a source that throws, or changed size) ends the engine's request
  // with a bare connection error: this keeps the real reason for the caller.
  let sourceError: unknown;
  // Set once the engine may have begun a file under the temporary's name (see handBack).
  let unpacking: { owner: EntryOwner } | undefined;
  try {
    signal?.throwIfAborted();
    const claim = await claimTemporary(target, path, temporary, context, signal);
    hash = options.verify === "size" ? undefined : checksumHash(claim.tool);
    const start = claim.owner === undefined ? undefined : await temporaryStat(access, temporary, signal);
    if (start === undefined || claim.owner === undefined) {
      await discard(target, temporary);
      return undefined;
    }
    const mode = options.mode ?? start.permissions;
    const entry = fileEntryStart(
      { name: splitPath(temporary).base, mode, size: source.total, mtime: Date.now() / 1000 },
      claim.owner,
    );
    const total = source.total;
    unpacking = { owner: claim.owner };
    await access.put(
      dir,
      (async function* () {
        try {
          yield entry;
          for await (const chunk of source.chunks) {
            if (bytes + chunk.length > total) break;
            hash?.update(chunk);
            bytes += chunk.length;
            onProgress?.(progressOf(bytes, total));
            yield chunk;
          }
          if (bytes !== total) {
            throw new FailedPreconditionError(
              `${what}: the data was ${bytes < total ? "shorter" : "longer"} than the ${total} bytes it had when the write started; nothing was written, write again once it is stable`,
            );
          }
          yield fileEntryEnd(total);
        } catch (error) {
          sourceError = error;
          throw error;
        }
      })(),
      signal,
    );
    const checksum = hash?.digest("hex");
    // The exec path's commit step: the sandbox's own view decides.
    return await confirmWrite(target, {
      temporary,
      path,
      bytes,
      checksum,
      mode: options.mode,
      signal,
      context,
    });
  } catch (error) {
    if (unpacking !== undefined) await handBack(access, dir, temporary, unpacking.owner);
    await discard(target, temporary);
    throw asCallerError(sourceError ?? error, signal, what);
  }
}

/** How long handing a temporary back may take; it runs after the caller's signal fired. */
const HAND_BACK_TIMEOUT_MS = 15_000;

/**
 * Both engines set an entry's owner and mode only once its data is complete: a put that was cut
 * off leaves a root-owned partial file, which the sandbox's user cannot remove from a sticky
 * directory (/tmp, local mode's tmpfs mounts). It is replaced with an empty file of the user's,
 * through the same API, so the exec path's discard can remove it. Best effort, as discard is.
 */
async function handBack(
  access: ArchiveAccess,
  dir: string,
  temporary: string,
  owner: EntryOwner,
): Promise<void> {
  const name = splitPath(temporary).base;
  const empty = [
    fileEntryStart({ name, mode: 0o600, size: 0, mtime: Date.now() / 1000 }, owner),
    fileEntryEnd(0),
  ];
  try {
    await access.put(
      dir,
      (async function* () {
        yield* empty;
      })(),
      AbortSignal.timeout(HAND_BACK_TIMEOUT_MS),
    );
  } catch {
    // The discard below still tries; a leftover's name says what it was.
  }
}

/** What the claim script said: the checksum tool ("" for none) and the temporary's owner. */
interface Claim {
  tool: string;
  /** Undefined when the sandbox could not say (no stat, no id): the write goes through exec. */
  owner: EntryOwner | undefined;
}

/** Runs the claim script (the exec path's checks, an empty temporary as the sandbox's user). */
async function claimTemporary(
  target: FilesTarget,
  path: string,
  temporary: string,
  context: FileFailureContext,
  signal: AbortSignal | undefined,
): Promise<Claim> {
  const said = await collectOutput(
    target.execStream(scriptCommand(claimScript, [path, temporary]), {
      noLoginShell: true,
      ...(signal ? { signal } : {}),
    }),
    context,
  );
  const [tool = "-", uid = "", gid = ""] = said.toString("utf8").trim().split(" ");
  const ids = [uid, gid].map((id) => (/^\d{1,10}$/.test(id) ? Number(id) : undefined));
  const [u, g] = ids;
  return {
    tool: tool === "-" ? "" : tool,
    owner: u === undefined || g === undefined ? undefined : { uid: u, gid: g },
  };
}

/**
 * The temporary as the engine sees it (a HEAD, not a get: milliseconds): it must be an empty file
 * of that name, or the engine is looking somewhere else (undefined: use exec). The caller's cancel
 * still throws.
 */
async function temporaryStat(
  access: ArchiveAccess,
  temporary: string,
  signal: AbortSignal | undefined,
): Promise<{ permissions: number } | undefined> {
  try {
    const seen = await access.stat(temporary, signal);
    if (seen.type !== "file" || seen.size !== 0 || seen.name !== splitPath(temporary).base) return undefined;
    return { permissions: seen.permissions };
  } catch (error) {
    if (signal?.aborted) throw error;
    return undefined;
  }
}

/**
 * Writes a file the fastest way that behaves the same: through the engine's archive API in local
 * mode where it applies (a known size of at least ARCHIVE_MIN_BYTES, a path the engine sees),
 * through exec (sendFile) otherwise.
 */
export async function writeFile(
  target: FilesTarget,
  path: string,
  source: WriteSource,
  options: WriteFileOptions,
): Promise<WriteResult> {
  if (target.archive !== undefined && source.total !== undefined && source.total >= ARCHIVE_MIN_BYTES) {
    // The archive put is done with each chunk when it asks for the next (ArchiveAccess.put).
    const sized: SizedSource = { chunks: source.reused?.() ?? source.chunks, total: source.total };
    const done = await writeThroughArchive(target, target.archive, path, sized, options);
    if (done !== undefined) return done;
  }
  return sendFile(target, path, source, options);
}
