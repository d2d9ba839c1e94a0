import { createHash, type Hash, randomBytes } from "node:crypto";
import { CanceledError } from "../../errors.js";
import type { FileFailureContext } from "./files-errors.js";
import type { VerifyOption } from "./files-options.js";
import type { FilesTarget, TransferOptions } from "./files-target.js";
import { feedScript, progressOf } from "./receiver.js";
import { splitPath } from "./remote-path.js";
import { collectOutput } from "./script-run.js";
import {
  type ChecksumTool,
  commitScript,
  discardScript,
  receiveScript,
  scriptCommand,
} from "./shell-scripts.js";
import type { WriteSource } from "./write-source.js";

/** What a confirmed write put in the sandbox. */
export interface WriteResult {
  /** The sandbox path written. */
  path: string;
  /** Bytes written, as confirmed by the sandbox. */
  size: number;
  /**
   * How the sandbox confirmed the file before it was renamed into place: `md5` or `sha256` (its
   * `md5sum` or `sha256sum` agreed with what the SDK sent; the fastest the image has is used), or
   * `size` (the image has neither, so only the size was compared).
   */
  verified: "md5" | "sha256" | "size";
  /** The checksum (hex) the sandbox agreed with, in the algorithm `verified` names; absent for `size`. */
  checksum?: string;
}

/** What the ways of writing one file take. */
export type WriteFileOptions = TransferOptions &
  VerifyOption & { mode?: number | undefined; operation: string };

/** How long removing a temporary after a failure may take; it runs after the caller's signal fired. */
const DISCARD_TIMEOUT_MS = 15_000;

/**
 * A temporary name in the same directory (so the final rename is atomic), hidden and unique. The
 * final name is kept in it when short, so a leftover says what it was; a long one (names may be
 * 255 bytes) is left out to stay within that limit.
 */
export function temporaryBeside(path: string): string {
  const { dir, base } = splitPath(path);
  const name = `.${hiddenStem(base)}openshell-${randomBytes(6).toString("hex")}.part`;
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

/** `<name>.` for names up to 100 bytes, else nothing. */
export function hiddenStem(base: string): string {
  return Buffer.byteLength(base, "utf8") <= 100 ? `${base}.` : "";
}

/** Removes a temporary, best effort: the sandbox may be gone, which leaves nothing to clean. */
export async function discard(target: FilesTarget, temporary: string): Promise<void> {
  try {
    const events = target.execStream(scriptCommand(discardScript, [temporary]), {
      noLoginShell: true,
      signal: AbortSignal.timeout(DISCARD_TIMEOUT_MS),
    });
    for await (const _ of events) {
      // Only its end matters.
    }
  } catch {
    // Nothing more can be done from here; the temporary's name says what it was.
  }
}

/** A failure as the caller should see it: their own cancel as CanceledError, SDK errors as they are. */
export function asCallerError(error: unknown, signal: AbortSignal | undefined, what: string): unknown {
  if (signal?.aborted && !(error instanceof CanceledError)) {
    return new CanceledError(`${what} was cancelled (its signal aborted); nothing was left half-written`, {
      cause: error,
    });
  }
  return error;
}

/**
 * Streams a file into the sandbox and confirms it before it appears: stdin of an interactive exec
 * fills a temporary beside `path` (see feedScript); a second exec compares its size and checksum
 * with what was sent and renames it into place. A failure or cancel removes the temporary.
 */
export async function sendFile(
  target: FilesTarget,
  path: string,
  source: WriteSource,
  options: WriteFileOptions,
): Promise<WriteResult> {
  const { signal, onProgress } = options;
  const context: FileFailureContext = { sandboxName: target.name, operation: options.operation, path };
  const temporary = temporaryBeside(path);
  let hash: Hash | undefined;
  let bytes = 0;
  try {
    signal?.throwIfAborted();
    await feedScript(target, scriptCommand(receiveScript, [path, temporary]), context, source.chunks, {
      signal,
      // The sandbox says which tool its confirm will run; what is sent is hashed the same way.
      onReady: (tool) => {
        hash = options.verify === "size" ? undefined : checksumHash(tool);
      },
      onChunk: (chunk) => {
        hash?.update(chunk);
        bytes += chunk.length;
        onProgress?.(progressOf(bytes, source.total));
      },
    });
    const checksum = hash?.digest("hex");
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
    await discard(target, temporary);
    throw asCallerError(error, signal, `${options.operation} ${JSON.stringify(path)}`);
  }
}

/**
 * The hash that matches what a sandbox's checksum tool (the word on a receive script's ready line)
 * computes; undefined when the sandbox has none, or one this SDK does not know.
 */
export function checksumHash(tool: string): Hash | undefined {
  const known: Record<ChecksumTool, "md5" | "sha256"> = { md5sum: "md5", sha256sum: "sha256" };
  return Object.hasOwn(known, tool) ? createHash(known[tool as ChecksumTool]) : undefined;
}

/** What {@link confirmWrite} checks and places. */
export interface WriteToConfirm {
  /** The temporary holding the data, beside `path`. */
  temporary: string;
  path: string;
  /** Bytes sent. */
  bytes: number;
  /** Hex checksum of what was sent, by the sandbox's tool; undefined: the size alone is compared. */
  checksum: string | undefined;
  mode: number | undefined;
  signal: AbortSignal | undefined;
  context: FileFailureContext;
}

/**
 * The last step of every write, however its bytes travelled: the sandbox compares the temporary's
 * size (and checksum) with what was sent, in its own view of the filesystem, sets the mode and
 * renames it into place. Throws what the commit script refused; the caller removes the temporary.
 */
export async function confirmWrite(target: FilesTarget, write: WriteToConfirm): Promise<WriteResult> {
  const { temporary, path, bytes, checksum, mode, signal, context } = write;
  const verdict = await collectOutput(
    target.execStream(
      scriptCommand(commitScript, [
        temporary,
        path,
        String(bytes),
        checksum ?? "",
        mode === undefined ? "" : mode.toString(8),
      ]),
      { noLoginShell: true, ...(signal ? { signal } : {}) },
    ),
    context,
  );
  const said = verdict.toString("utf8").trim();
  if (checksum !== undefined && (said === "md5" || said === "sha256")) {
    return { path, size: bytes, verified: said, checksum };
  }
  return { path, size: bytes, verified: "size" };
}
