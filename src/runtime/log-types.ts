export interface LogOptions {
  /** Keep reading until the container stops (the iteration then ends) or the signal aborts. */
  follow?: boolean;
  /** Only the last N lines written before the call. */
  tail?: number;
  /** Only lines written at or after this time (capability `log-since`). */
  since?: Date;
  /** Attach the engine's timestamp to each line (capability `log-timestamps`). */
  timestamps?: boolean;
  /** Which streams to read; both when absent. */
  stdout?: boolean;
  stderr?: boolean;
  signal?: AbortSignal;
}

/** One line of a container's output, without its line terminator. */
export interface LogLine {
  stream: "stdout" | "stderr";
  text: string;
  /** Set when `timestamps` was asked for. */
  timestamp?: Date;
}
