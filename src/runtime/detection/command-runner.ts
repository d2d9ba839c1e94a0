import { spawn } from "node:child_process";

/** How a command ended, with its output (capped). */
export interface CommandResult {
  /** Null when it was killed by a signal (a timeout, for example). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandRunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Runs a program without a shell. Rejects with the spawn error (code `ENOENT` when the program is
 * not on PATH); otherwise resolves whatever the exit code.
 */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options: CommandRunOptions,
) => Promise<CommandResult>;

/** Enough for any status answer; a runaway program cannot fill memory. */
const OUTPUT_LIMIT = 1024 * 1024;

/** The real runner: `child_process.spawn`, killed at the timeout or when the signal fires. */
export const runCommand: CommandRunner = (command, args, options) =>
  new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs,
      killSignal: "SIGKILL",
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += chunk;
    });
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
