import type { Readable, Writable } from "node:stream";

/** How one command is run to completion. */
export interface RunOptions {
  /** Written to the command's stdin, which is then closed. Stdin is closed at once when absent. */
  stdin?: string | Buffer;
  /** Aborting kills the command; `run` then rejects with a CanceledError. */
  signal?: AbortSignal;
  /** Kills the command after this many milliseconds; `run` then rejects with a TimeoutError. */
  timeoutMs?: number;
}

/** What a command that ran to completion left behind. */
export interface RunResult {
  /** The exit code; 128 + the signal's number when a signal ended it. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A command that is still running, read as it goes (`logs -f`, `exec -i`, `build`). */
export interface SpawnedCommand {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin: Writable;
  /**
   * Settles once the command has exited and its stdout and stderr are closed (so every byte has
   * been read): with the exit code (128 + the signal's number when a signal ended it), or rejected
   * when the command could not be started at all (ENOENT).
   */
  readonly exit: Promise<number>;
  /** Sends a signal (SIGTERM when absent); does nothing once the command has exited. */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs a CLI program (the Apple `container` CLI, for its driver and for detection's status probe).
 * Always with an argv array, never through a shell: arguments reach the program exactly as given.
 * Swapped for a recording fake in tests.
 */
export interface CommandRunner {
  /**
   * Runs a command to completion. Resolves with its exit code whatever it is (a non-zero exit is
   * the caller's to interpret); rejects only when the command could not be started (the error
   * keeps Node's `code`, e.g. ENOENT), was aborted (CanceledError) or timed out (TimeoutError).
   */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a command and hands back its streams. */
  spawn(command: string, args: readonly string[]): SpawnedCommand;
}
