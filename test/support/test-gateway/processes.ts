import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { constants } from "node:os";

/**
 * Host processes stand in for sandbox containers. Each one leads its own process group so that a
 * kill reaches what it started too (`sh -c "sleep 30"` would otherwise leave `sleep` holding the
 * output pipes open, and the exec stream would never end).
 */
export function spawnGroup(command: string[], options: SpawnOptions): ChildProcess {
  const [file, ...args] = command;
  return spawn(file ?? "", args, { ...options, detached: true });
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  // Even when the leader has exited its group may live on, so the group is always signalled.
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

/** Shell convention, as the gateway reports it: 128 + signal number for a signalled process. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + (constants.signals[signal] ?? 0);
  return 1;
}

/** Splits a byte stream into lines; the last unterminated piece is flushed when the stream ends. */
export function onLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ""));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  });
  stream.on("end", () => {
    if (pending !== "") onLine(pending);
    pending = "";
  });
}
