import type { Writable } from "node:stream";

export interface TerminalSize {
  columns: number;
  rows: number;
}

/** A command to run in a running container. */
export interface ExecSpec {
  /** argv; run as is, not through a shell. */
  command: readonly string[];
  env?: Readonly<Record<string, string>>;
  workdir?: string;
  user?: string;
  /** Allocate a terminal: output arrives as one stream (`"stdout"`) and `resize` works. */
  tty?: boolean;
  /** Open stdin for writing through {@link ExecProcess.stdin}. */
  stdin?: boolean;
  /** Initial terminal size when `tty` is set. */
  terminalSize?: TerminalSize;
  /** Aborting ends the output with a CanceledError and closes the connection to the process. */
  signal?: AbortSignal;
}

export interface OutputChunk {
  stream: "stdout" | "stderr";
  data: Buffer;
}

export interface ExecExit {
  exitCode: number;
}

/**
 * A running exec. Read `output` (or call `wait()`, which drains it): the engine stops the process
 * when nobody reads its output for long enough, as a pipe would.
 */
export interface ExecProcess {
  /** Engine's id of this exec. */
  readonly id: string;
  /**
   * Output as it arrives. It ends after the process has exited and throws when the stream breaks
   * first (the container was killed, the engine went away, the signal was aborted): never a hang,
   * never a silent end. Iterate it once.
   */
  readonly output: AsyncIterable<OutputChunk>;
  /** The process's stdin when the exec was created with `stdin: true`; `end()` half-closes it. */
  readonly stdin: Writable | null;
  /** Resize the terminal (`tty: true` only). */
  resize(size: TerminalSize): Promise<void>;
  /** The exit code, once output has ended. Drains output that nobody is reading. */
  wait(): Promise<ExecExit>;
}

/** `runExec`'s result: the whole output, buffered. */
export interface ExecResult extends ExecExit {
  stdout: Buffer;
  stderr: Buffer;
}
