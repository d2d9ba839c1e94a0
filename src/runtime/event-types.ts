/** A change to a container, from the engine's event stream (or, where there is none, from polling). */
export interface ContainerEvent {
  /** `create`, `start`, `die`, `stop`, `kill`, `oom`, `destroy`, ... as the engine names them. */
  action: string;
  id: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  /** Set on `die` by a runtime with the `exit-codes` capability. */
  exitCode?: number;
  time: Date;
}

export interface WatchOptions {
  /** Only containers carrying every one of these labels. */
  labels?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}
