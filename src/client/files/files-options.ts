import { z } from "zod";
import type { FileCallOptions, TransferOptions } from "./files-target.js";

/** How a write is confirmed before its file is renamed into place. */
export interface VerifyOption {
  /**
   * `"checksum"` (the default): the sandbox compares the file's size and a checksum of its bytes
   * (MD5 where the image has `md5sum`, else SHA-256 where it has `sha256sum`, else the size alone)
   * with what was sent. `"size"`: the size alone, sparing the sandbox a pass over the whole file
   * (about half of a large upload's time), for when the transport's own integrity is enough.
   */
  verify?: "checksum" | "size";
}

/** Options of `files.write()`. */
export interface WriteOptions extends TransferOptions, VerifyOption {
  /** Permission bits of the file, e.g. `0o755`. Default: what the sandbox's umask gives a new file (usually 0o644). */
  mode?: number;
}

/** Options of `files.upload()`; `verify` applies to a single file (a folder's files are unpacked by tar). */
export interface UploadOptions extends TransferOptions, VerifyOption {}

/** Options of `files.mkdir()`. */
export interface MkdirOptions extends FileCallOptions {
  /** Create missing parents too, and accept a directory that exists (`mkdir -p`). Default true. */
  recursive?: boolean;
}

/** Options of `files.remove()`. */
export interface RemoveOptions extends FileCallOptions {
  /** Remove a directory and everything in it. Without it only files, links and empty directories go. */
  recursive?: boolean;
  /** A path that does not exist is fine (no NotFoundError). */
  force?: boolean;
}

const signal = z.instanceof(AbortSignal).optional();
const onProgress = z
  .custom<NonNullable<TransferOptions["onProgress"]>>((v) => typeof v === "function", {
    message: "must be a function",
  })
  .optional();

export const callOptionsSchema = z.object({ signal }).strict();
export const transferOptionsSchema = z.object({ signal, onProgress }).strict();
const verify = z.enum(["checksum", "size"]).optional();
export const writeOptionsSchema = z
  .object({ signal, onProgress, verify, mode: z.number().int().min(0).max(0o7777).optional() })
  .strict();
export const uploadOptionsSchema = z.object({ signal, onProgress, verify }).strict();
export const mkdirOptionsSchema = z.object({ signal, recursive: z.boolean().optional() }).strict();
export const removeOptionsSchema = z
  .object({ signal, recursive: z.boolean().optional(), force: z.boolean().optional() })
  .strict();
