import type { StoredLogLine } from "../state/state-store.js";
import { type LiveSandbox, logLine } from "./live-sandbox.js";

/** Lines are written to the store in batches: one transaction per flush, not per line. */
const FLUSH_INTERVAL_MS = 100;
const FLUSH_LINES = 500;

/** The main process's output as log lines: stdout is INFO, stderr WARN (as the gateway labels them). */
const LEVEL = { stdout: "INFO", stderr: "WARN" } as const;

/** A line of the main process's output as the store keeps it. */
export type MainProcessLine = Omit<StoredLogLine, "sandboxId" | "seq">;

/**
 * The main process's output on its way into a sandbox's log: each line reaches the sandbox's watchers
 * at once and the store in batches (every {@link FLUSH_LINES} lines or {@link FLUSH_INTERVAL_MS} ms),
 * through `write`, which stores one batch in one transaction (with whatever cursor it keeps). Lines
 * stay in `sandbox.unflushedLogs` until written, so a log read meanwhile still sees them.
 */
export class MainProcessLogBatch {
  private pending: MainProcessLine[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sandbox: LiveSandbox,
    private readonly write: (lines: MainProcessLine[]) => void,
  ) {}

  add(stream: "stdout" | "stderr", text: string, timestampMs: number): void {
    const level = LEVEL[stream];
    const message = text.replace(/\r?\n$/, "");
    this.pending.push({ timestampMs, level, source: "sandbox", target: "main_process", message });
    const wire = logLine(this.sandbox.id, "sandbox", level, "main_process", message, timestampMs);
    this.sandbox.unflushedLogs.push(wire);
    this.sandbox.emitLog(wire);
    if (this.pending.length >= FLUSH_LINES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.pending;
    this.pending = [];
    if (lines.length === 0) return;
    this.write(lines);
    this.sandbox.unflushedLogs.splice(0, lines.length);
  }
}
