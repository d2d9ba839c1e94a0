import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { ExecSandboxEvent, ExecSandboxRequest } from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  EXEC_OUTPUT_HIGH_WATER,
  exitEvent,
  outputEvent,
  TIMEOUT_EXIT_CODE,
} from "../../../src/local/protocol/exec-events.js";
import { checkExecCommand, invalid } from "../../../src/local/protocol/validation.js";
import { BufferedQueue } from "./buffered-queue.js";
import type { GatewayState } from "./gateway-state.js";
import { sandboxEnvironment } from "./lifecycle.js";
import { exitCodeOf, killGroup, spawnGroup } from "./processes.js";
import type { SandboxRecord } from "./sandbox-record.js";

export interface RunningExec {
  child: ChildProcess;
  events: BufferedQueue<ExecSandboxEvent>;
  /** True once the exit event was queued. */
  finished(): boolean;
}

function workdirOf(record: SandboxRecord, workdir: string): string {
  if (workdir === "") return record.dir;
  const dir = isAbsolute(workdir) ? workdir : join(record.dir, workdir);
  if (!existsSync(dir)) throw invalid(`workdir "${workdir}" does not exist in the sandbox`);
  return dir;
}

/**
 * Upstream runs an exec through a login shell (`bash -lc`, startup files read first) unless
 * `no_login_shell`. A test-gateway sandbox's startup file is `.profile` in its folder, read by
 * `/bin/sh` before the command; without one the command runs directly, as it always has here (so
 * a missing program still fails the way this gateway reports it).
 */
function loginShellCommand(record: SandboxRecord, req: ExecSandboxRequest): string[] {
  const profile = join(record.dir, ".profile");
  if (req.noLoginShell || !existsSync(profile)) return req.command;
  return ["/bin/sh", "-c", '. "$1"; shift; exec "$@"', "sh", profile, ...req.command];
}

/**
 * Runs one exec command as a real host process and turns its output into ExecSandboxEvents: chunks
 * as they come, then exactly one exit event once both pipes are drained.
 */
export function startExec(
  state: GatewayState,
  record: SandboxRecord,
  req: ExecSandboxRequest,
  clientSignal: AbortSignal,
  extraEnv: Record<string, string> = {},
): RunningExec {
  checkExecCommand(req.command, req.environment);
  const cwd = workdirOf(record, req.workdir);
  state.execLoginShells.push(!req.noLoginShell);
  if (state.execLoginShells.length > 100) state.execLoginShells.shift();
  const child = spawnGroup(loginShellCommand(record, req), {
    cwd,
    env: { ...sandboxEnvironment(record), ...extraEnv, ...req.environment },
    stdio: ["pipe", "pipe", "pipe"],
  });
  state.track(child);
  record.execs.add(child);
  child.once("close", () => record.execs.delete(child));
  const resume = () => {
    child.stdout?.resume();
    child.stderr?.resume();
  };
  const events = new BufferedQueue<ExecSandboxEvent>(resume);
  let done = false;
  let timedOut = false;

  // Beyond the high water mark both pipes pause until the client catches up (the queue's drain resumes).
  const forward = (stream: "stdout" | "stderr") => (data: Buffer) => {
    events.push(outputEvent(stream, data));
    if (events.size > EXEC_OUTPUT_HIGH_WATER) {
      child.stdout?.pause();
      child.stderr?.pause();
    }
  };
  child.stdout?.on("data", forward("stdout"));
  child.stderr?.on("data", forward("stderr"));
  // The child may exit without reading its stdin; the resulting EPIPE is not the client's problem.
  child.stdin?.on("error", () => undefined);

  const timer =
    req.timeoutSeconds > 0
      ? setTimeout(() => {
          timedOut = true;
          killGroup(child, "SIGKILL");
        }, req.timeoutSeconds * 1000)
      : undefined;

  const onShutdown = () => {
    events.fail(state.shutdown.signal.reason);
    killGroup(child, "SIGKILL");
  };
  const onClientGone = () => {
    if (!done) killGroup(child, "SIGKILL");
    events.end();
  };
  state.shutdown.signal.addEventListener("abort", onShutdown);
  clientSignal.addEventListener("abort", onClientGone);

  const finish = (exitCode: number) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    state.shutdown.signal.removeEventListener("abort", onShutdown);
    clientSignal.removeEventListener("abort", onClientGone);
    events.push(exitEvent(exitCode));
    events.end();
  };
  // "close" (not "exit") waits until stdout and stderr are drained, so the exit event comes last.
  child.once("close", (code, signal) => finish(timedOut ? TIMEOUT_EXIT_CODE : exitCodeOf(code, signal)));
  child.once("error", (err) => {
    // A command that does not exist: what a shell in the sandbox would say, and its exit code.
    events.push(outputEvent("stderr", Buffer.from(`exec: ${req.command[0]}: ${err.message}\n`)));
    finish(127);
  });
  return { child, events, finished: () => done };
}
