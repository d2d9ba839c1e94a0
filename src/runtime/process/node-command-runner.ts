import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { constants } from "node:os";
import { CanceledError } from "../../errors.js";
import type { CommandRunner, RunOptions, RunResult, SpawnedCommand } from "./command-runner.js";
import { runToCompletion } from "./run-to-completion.js";

/** Subcommands that take a second word (`image pull`, `network create`). */
const COMMAND_GROUPS = new Set(["image", "network", "volume", "system", "builder", "registry"]);

/**
 * The command's name for messages (`container image pull`), without its arguments: those may hold
 * environment values, and a runner does not know which.
 */
export function commandName(command: string, args: readonly string[]): string {
  const first = args[0];
  if (first === undefined) return command;
  const second = args[1];
  return COMMAND_GROUPS.has(first) && second !== undefined && !second.startsWith("-")
    ? `${command} ${first} ${second}`
    : `${command} ${first}`;
}

/** The exit code as a shell reports it: 128 + the signal's number when a signal ended the process. */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

function start(command: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  const child = spawn(command, [...args], { stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
  // EPIPE when the command exits without reading its stdin: not an error of ours.
  child.stdin.on("error", () => {});
  return child;
}

/** The real runner: `node:child_process` with an argv array, never a shell. */
export class NodeCommandRunner implements CommandRunner {
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const name = commandName(command, args);
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(
        new CanceledError(`${name}: canceled by the caller's signal`, { cause: signal.reason }),
      );
    }
    return runToCompletion(this.spawn(command, args), name, options);
  }

  spawn(command: string, args: readonly string[]): SpawnedCommand {
    const child = start(command, args);
    let exited = false;
    const exit = new Promise<number>((resolve, reject) => {
      child.on("error", (error) => {
        // After a successful spawn an error is a failed kill or write: the close event still comes.
        if (child.pid === undefined) {
          exited = true;
          reject(error);
        }
      });
      child.on("close", (code, signal) => {
        exited = true;
        resolve(exitCodeOf(code, signal));
      });
    });
    exit.catch(() => {}); // observed by the caller; never an unhandled rejection
    return {
      stdout: child.stdout,
      stderr: child.stderr,
      stdin: child.stdin,
      exit,
      kill(signal?: NodeJS.Signals) {
        if (!exited) child.kill(signal ?? "SIGTERM");
      },
    };
  }
}
