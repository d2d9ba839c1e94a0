import type { ExecEvent } from "../exec/exec-events.js";
import type { InteractiveExec } from "../exec/exec-interactive.js";
import type { ExecOptions, ExecRunOptions } from "../exec/exec-options.js";

/**
 * What file operations need of a sandbox: its name (for messages) and the two exec calls. A
 * `Sandbox` is one; file transfer goes over nothing but the public exec protocol, so it works on
 * any gateway that runs exec.
 */
export interface FilesTarget {
  readonly name: string;
  execStream(command: string[], options?: ExecRunOptions): AsyncIterable<ExecEvent>;
  execInteractive(command: string[], options?: ExecOptions): Promise<InteractiveExec>;
}

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
