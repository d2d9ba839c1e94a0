import { InvalidArgumentError } from "../../errors.js";
import { validate } from "../../validation/validate.js";
import { writeFile } from "./archive-write.js";
import { type FileEntry, parseEntries } from "./file-entry.js";
import type { FileFailureContext } from "./files-errors.js";
import {
  callOptionsSchema,
  type MkdirOptions,
  mkdirOptionsSchema,
  type RemoveOptions,
  removeOptionsSchema,
  transferOptionsSchema,
  type UploadOptions,
  uploadOptionsSchema,
  type WriteOptions,
  writeOptionsSchema,
} from "./files-options.js";
import type { FileCallOptions, FilesTarget, TransferOptions } from "./files-target.js";
import { readFileStream } from "./read-file.js";
import { remotePath } from "./remote-path.js";
import { collectOutput } from "./script-run.js";
import { asCallerError, type WriteResult } from "./send-file.js";
import {
  existsScript,
  listScript,
  mkdirScript,
  removeScript,
  scriptCommand,
  statScript,
} from "./shell-scripts.js";
import { downloadPath, type TransferResult, uploadPath } from "./transfer-tree.js";
import { type WriteData, writeSource } from "./write-source.js";

function localPath(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "" || value.includes("\0")) {
    throw new InvalidArgumentError(`${field} must be a non-empty local path without NUL`, { field });
  }
  return value;
}

/**
 * Files in and out of one sandbox, over the gateway's exec calls only (so it works against any
 * gateway): contents travel as raw bytes on an interactive exec's stdin and an exec's stdout, in
 * 256 KiB pieces with backpressure, never whole in memory and never near gRPC's message limit.
 *
 * In local mode on Docker and Podman, files and directories of 8 MiB or more (writes of a known
 * size, reads, uploads, downloads) move their bytes through the engine's archive API (what
 * `docker cp` uses) instead, where the engine sees what the sandbox does (Podman: every path;
 * Docker: paths on no tmpfs mount, written only with a writable root or in a volume) and the
 * sandbox's user may read or write it; the checks, the confirm and the errors are the same execs.
 *
 * What the sandbox's image needs: `sh` for everything; `cat` to read and write files (plus `mv`,
 * and `stat` or `wc`, to confirm and place a write; `md5sum` or `sha256sum` if present to check it);
 * `stat` for `list` and `stat`; `mkdir`, `rm`, `rmdir` for those calls; `tar` for directory
 * uploads and downloads. A missing one is a MissingToolError naming it. Busybox has them all.
 */
export class SandboxFiles {
  /** @internal Reached as `sandbox.files`. */
  constructor(private readonly target: FilesTarget) {}

  /**
   * Writes a file, replacing any file of that name. The data goes to a temporary beside it that is
   * renamed into place only after the sandbox confirmed its size (and checksum, see `verify`): a
   * failed or cancelled write leaves the old file (or nothing) under the name.
   * The directory must exist.
   */
  async write(path: string, data: WriteData, options: WriteOptions = {}): Promise<WriteResult> {
    const p = remotePath(path, "path");
    const o = validate(writeOptionsSchema, options, "write options");
    return writeFile(this.target, p, writeSource(data), { ...o, operation: "write" });
  }

  /** Reads a whole file into memory. For large files use `readStream` or `download`. */
  async read(path: string, options: TransferOptions = {}): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.readStream(path, options)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /**
   * Streams a file's bytes as they arrive. An async iterable (not a Node Readable) so it works the
   * same in every runtime and stops the transfer when the loop stops; `Readable.from()` makes one.
   * Errors (missing file, a directory, a failed read) are thrown from the iteration.
   */
  readStream(path: string, options: TransferOptions = {}): AsyncIterable<Uint8Array> {
    const p = remotePath(path, "path");
    const o = validate(transferOptionsSchema, options, "read options");
    return readFileStream(this.target, p, { ...o, operation: "read" });
  }

  /** Copies a local file or directory (recursively, symlinks as links) to `remotePath`. */
  async upload(
    localSource: string,
    remoteDestination: string,
    options: UploadOptions = {},
  ): Promise<TransferResult> {
    const local = localPath(localSource, "localPath");
    const remote = remotePath(remoteDestination, "remotePath");
    const o = validate(uploadOptionsSchema, options, "upload options");
    return uploadPath(this.target, local, remote, o);
  }

  /**
   * Copies a sandbox file or directory to `localPath`. Symlinks in a directory are copied as links:
   * their targets, in or out of the tree, are never read.
   */
  async download(
    remoteSource: string,
    localDestination: string,
    options: TransferOptions = {},
  ): Promise<TransferResult> {
    const remote = remotePath(remoteSource, "remotePath", { allowRoot: true });
    const local = localPath(localDestination, "localPath");
    const o = validate(transferOptionsSchema, options, "download options");
    return downloadPath(this.target, remote, local, o);
  }

  /** The entries of a directory (dot files included, `.` and `..` not), in the shell's glob order. */
  async list(dir: string, options: FileCallOptions = {}): Promise<FileEntry[]> {
    const p = remotePath(dir, "dir", { allowRoot: true });
    const output = await this.run("list", p, listScript, [p], options);
    return parseEntries(output, p);
  }

  /** Describes one path without following a symlink there. @throws NotFoundError when it does not exist. */
  async stat(path: string, options: FileCallOptions = {}): Promise<FileEntry> {
    const p = remotePath(path, "path", { allowRoot: true });
    const [entry] = parseEntries(await this.run("stat", p, statScript, [p], options), undefined);
    if (entry === undefined)
      throw new InvalidArgumentError(`stat printed nothing for ${p}`, { field: "path" });
    return { ...entry, name: p === "/" ? "/" : entry.name, path: p };
  }

  /** Whether anything (a file, directory, or a link, even a dangling one) has that path. */
  async exists(path: string, options: FileCallOptions = {}): Promise<boolean> {
    const p = remotePath(path, "path", { allowRoot: true });
    return (await this.run("exists", p, existsScript, [p], options)).toString("utf8").trim() === "yes";
  }

  /** Creates a directory, with its parents unless `recursive: false`. One that exists is fine. */
  async mkdir(path: string, options: MkdirOptions = {}): Promise<void> {
    const p = remotePath(path, "path");
    const o = validate(mkdirOptionsSchema, options, "mkdir options");
    await this.run("mkdir", p, mkdirScript, [p, o.recursive === false ? "0" : "1"], o);
  }

  /** Removes a file, link or empty directory; a full directory with `recursive: true`. */
  async remove(path: string, options: RemoveOptions = {}): Promise<void> {
    const p = remotePath(path, "path");
    const o = validate(removeOptionsSchema, options, "remove options");
    await this.run("remove", p, removeScript, [p, o.recursive ? "1" : "0", o.force ? "1" : "0"], o);
  }

  private async run(
    operation: string,
    path: string,
    script: string,
    args: string[],
    options: FileCallOptions,
  ): Promise<Buffer> {
    const { signal } = validate(callOptionsSchema, { signal: options.signal }, `${operation} options`);
    const context: FileFailureContext = { sandboxName: this.target.name, operation, path };
    try {
      return await collectOutput(
        this.target.execStream(scriptCommand(script, args), {
          noLoginShell: true,
          ...(signal ? { signal } : {}),
        }),
        context,
      );
    } catch (error) {
      throw asCallerError(error, signal, `${operation} ${JSON.stringify(path)}`);
    }
  }
}
