import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ExecSandboxEvent,
  ExecSandboxEventSchema,
  type ExecSandboxRequest,
  SandboxPhase,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { checkExecCommand, invalid } from "../../../src/local/protocol/validation.js";
import { AsyncQueue } from "./async-queue.js";
import type { GatewayState } from "./gateway-state.js";
import { sandboxEnvironment } from "./lifecycle.js";
import { exitCodeOf, killGroup, spawnGroup } from "./processes.js";
import type { SandboxRecord } from "./sandbox-record.js";

/** Exit code of a command killed at its timeout, as `timeout(1)` reports it. */
export const timeoutExitCode = 124;

/** Output chunks buffered before the child's pipes are paused until the client catches up. */
const highWater = 64;

export interface RunningExec {
  child: ChildProcess;
  events: AsyncQueue<ExecSandboxEvent>;
  /** True once the exit event was queued. */
  finished(): boolean;
}

/** Exec needs a READY sandbox; the message is upstream's, word for word. */
export function readySandbox(state: GatewayState, sandboxId: string): SandboxRecord {
  const record = state.sandboxById(sandboxId);
  if (record.phase !== SandboxPhase.READY) {
    throw new ConnectError("sandbox is not ready", Code.FailedPrecondition);
  }
  return record;
}

function workdirOf(record: SandboxRecord, workdir: string): string {
  if (workdir === "") return record.dir;
  const dir = isAbsolute(workdir) ? workdir : join(record.dir, workdir);
  if (!existsSync(dir)) throw invalid(`workdir "${workdir}" does not exist in the sandbox`);
  return dir;
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
  const child = spawnGroup(req.command, {
    cwd,
    env: { ...sandboxEnvironment(record), ...extraEnv, ...req.environment },
    stdio: ["pipe", "pipe", "pipe"],
  });
  state.track(child);
  const resume = () => {
    child.stdout?.resume();
    child.stderr?.resume();
  };
  const events = new AsyncQueue<ExecSandboxEvent>(resume);
  let done = false;
  let timedOut = false;

  const forward = (stream: "stdout" | "stderr") => (data: Buffer) => {
    events.push(create(ExecSandboxEventSchema, { payload: { case: stream, value: { data } } }));
    if (events.size > highWater) {
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
    events.push(create(ExecSandboxEventSchema, { payload: { case: "exit", value: { exitCode } } }));
    events.end();
  };
  // "close" (not "exit") waits until stdout and stderr are drained, so the exit event comes last.
  child.once("close", (code, signal) => finish(timedOut ? timeoutExitCode : exitCodeOf(code, signal)));
  child.once("error", (err) => {
    // A command that does not exist: what a shell in the sandbox would say, and its exit code.
    events.push(
      create(ExecSandboxEventSchema, {
        payload: {
          case: "stderr",
          value: { data: Buffer.from(`exec: ${req.command[0]}: ${err.message}\n`) },
        },
      }),
    );
    finish(127);
  });
  return { child, events, finished: () => done };
}
