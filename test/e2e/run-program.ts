import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** How a program run by {@link runProgram} ended, and all it printed. */
export interface ProgramRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command args` from the repository's root as a reader would (the test's environment plus
 * `env`), collecting its output. `interruptWhen`, if given, sends SIGINT (a reader's Ctrl-C) once
 * stdout contains that text; a run still going after `killAfterMs` is killed, so a hang fails the
 * test instead of stalling it.
 */
export function runProgram(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; interruptWhen?: string; killAfterMs?: number } = {},
): Promise<ProgramRun> {
  const { env = {}, interruptWhen, killAfterMs = 150_000 } = options;
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (interruptWhen !== undefined && !interrupted && stdout.includes(interruptWhen)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      done({ code, signal, stdout, stderr });
    });
  });
}
