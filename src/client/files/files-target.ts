import type { ExecEvent } from "../exec/exec-events.js";
import type { InteractiveExec } from "../exec/exec-interactive.js";
import type { ExecOptions, ExecRunOptions } from "../exec/exec-options.js";

/**
 * What file operations need of a sandbox: its name (for messages) and the two exec calls. A
 * `Sandbox` is one; file transfer goes over nothing but the public exec protocol, so it works on
 * any gateway that runs exec (local mode adds a faster way for large files, see `archive`).
 */
export interface FilesTarget {
  readonly name: string;
  execStream(command: string[], options?: ExecRunOptions): AsyncIterable<ExecEvent>;
  execInteractive(command: string[], options?: ExecOptions): Promise<InteractiveExec>;
  /**
   * @internal Local mode's direct line to the engine's archive API (what `docker cp` uses) for this
   * sandbox, set by the client `OpenShell.local()` made. File calls take it where it moves the same
   * bytes to the same place as exec would, and exec everywhere else.
   */
  readonly archive?: FilesArchive | undefined;
}

/**
 * @internal How file calls reach a local sandbox's container through the engine's archive API.
 * Implemented by the embedded gateway (src/local/files), so the client never imports a runtime.
 */
export interface FilesArchive {
  /** The sandbox's container as the engine sees it now; undefined when the archive API is not for it. */
  open(signal?: AbortSignal): Promise<ArchiveAccess | undefined>;
}

/** @internal One container's archive API, and where it sees what the sandbox sees. */
export interface ArchiveAccess {
  /** Whether a get of this real path (no symlink in it) reads what the sandbox sees there. */
  reads(path: string): boolean;
  /** Whether a put into this directory writes where the sandbox sees it. */
  writes(path: string): boolean;
  /** Whether a get of this real directory reads the whole tree the sandbox sees under it. */
  readsTree(path: string): boolean;
  /**
   * A tar stream of `path`; rejects (NotFoundError, ...) before any byte when the engine refuses.
   * With `reuseBuffers` each chunk is only valid until the next is asked for (reused memory).
   */
  get(
    path: string,
    signal?: AbortSignal,
    options?: { reuseBuffers?: boolean },
  ): Promise<AsyncIterable<Uint8Array>>;
  /** What the engine sees at `path` (not followed if a symlink); rejects (NotFoundError, ...) when nothing. */
  stat(
    path: string,
    signal?: AbortSignal,
  ): Promise<{ name: string; size: number; type: string; permissions: number }>;
  /**
   * Unpacks a tar stream into the directory `dir`, keeping each entry's owner and mode. It asks
   * `archive` for the next chunk only once it is done with the last (written to the engine), so
   * a source may read the next into the same memory.
   */
  put(dir: string, archive: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void>;
}

/** @internal What the client's Sandbox handles are given to find their FilesArchive by sandbox id. */
export type FilesArchiveProvider = (sandboxId: (signal?: AbortSignal) => Promise<string>) => FilesArchive;

/** Progress of a transfer: bytes moved so far, and the total when it is known up front. */
export interface TransferProgress {
  bytes: number;
  total?: number;
}

/** Options every file operation takes. */
export interface FileCallOptions {
  /** Cancels the operation; a cancelled write leaves nothing under its final name. */
  signal?: AbortSignal;
}

/** Options of the calls that move file contents. */
export interface TransferOptions extends FileCallOptions {
  /** Called as data moves (about every 256 KiB) with the bytes so far and the total when known. */
  onProgress?: (progress: TransferProgress) => void;
}
