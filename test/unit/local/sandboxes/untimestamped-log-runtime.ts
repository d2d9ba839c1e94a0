import type { Capability } from "../../../../src/runtime/capabilities.js";
import type { ContainerInfo } from "../../../../src/runtime/container-info.js";
import type { ContainerRuntime } from "../../../../src/runtime/container-runtime.js";
import type { LogLine, LogOptions } from "../../../../src/runtime/log-types.js";

/**
 * The logs side of a runtime like Apple's `container`: no `log-timestamps`, no `log-since`. Each
 * container's log is replayed from its start; a follow then waits for new lines until the container
 * stops or the signal aborts. `rotate` drops the oldest lines as a runtime rotating its log would.
 */
export class UntimestampedLogRuntime {
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>([
    "exec",
    "networks",
    "internal-networks",
  ]);
  /** Every logs call's options, to check what the pump asked for. */
  readonly asked: LogOptions[] = [];
  /** Called just before each line is handed to the reader (a test moves its clock here). */
  beforeLine: (line: LogLine) => void = () => {};
  private readonly written = new Map<string, LogLine[]>();
  private readonly running = new Set<string>();
  /** When each container's current run started (ms); a restart moves it on. */
  private readonly started = new Map<string, number>();
  private wake: (() => void)[] = [];

  /** The container writes lines (stdout unless a line starts with "err:"). */
  write(containerId: string, ...texts: string[]): void {
    const log = this.written.get(containerId) ?? [];
    for (const text of texts) {
      log.push(
        text.startsWith("err:") ? { stream: "stderr", text } : { stream: "stdout", text: `${text}\n` },
      );
    }
    this.written.set(containerId, log);
    this.notify();
  }

  start(containerId: string): void {
    this.running.add(containerId);
  }

  stop(containerId: string): void {
    this.running.delete(containerId);
    this.notify();
  }

  /** Starts the container again; like Apple's runtime, a new run's log starts empty. */
  restart(containerId: string): void {
    this.written.set(containerId, []);
    this.running.add(containerId);
    this.started.set(containerId, (this.started.get(containerId) ?? 0) + 60_000);
  }

  /** Keeps only the newest `keep` lines of the container's log. */
  rotate(containerId: string, keep: number): void {
    this.written.set(containerId, (this.written.get(containerId) ?? []).slice(-keep));
  }

  asRuntime(): ContainerRuntime {
    return this as unknown as ContainerRuntime;
  }

  /** The runtime's `inspectContainer`, as far as the pump reads it: which run the container is in. */
  async inspectContainer(containerId: string): Promise<ContainerInfo> {
    const running = this.running.has(containerId);
    return {
      id: containerId,
      name: containerId,
      image: "openshell-test/sandbox:1",
      labels: {},
      state: running ? "running" : "exited",
      running,
      exitCode: running ? null : 0,
      oomKilled: false,
      startedAt: new Date(this.started.get(containerId) ?? 0),
      finishedAt: null,
      addresses: [],
      ports: [],
    };
  }

  /** The runtime's `logs`: refuses what it cannot serve, as the real drivers do. */
  logs(containerId: string, options: LogOptions = {}): AsyncIterable<LogLine> {
    if (options.timestamps || options.since) throw new Error("this runtime has no log timestamps");
    this.asked.push(options);
    return this.replay(containerId, options);
  }

  private async *replay(containerId: string, options: LogOptions): AsyncGenerator<LogLine> {
    let next = 0;
    for (;;) {
      const log = this.written.get(containerId) ?? [];
      while (next < log.length) {
        const line = log[next++] as LogLine;
        this.beforeLine(line);
        yield line;
      }
      if (!options.follow || !this.running.has(containerId)) return;
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(options.signal?.reason);
        if (options.signal?.aborted) return onAbort();
        options.signal?.addEventListener("abort", onAbort, { once: true });
        this.wake.push(() => {
          options.signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = [];
    for (const resolve of wake) resolve();
  }
}
