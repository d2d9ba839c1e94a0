import { Code, ConnectError } from "@connectrpc/connect";
import { CanceledError } from "../../errors.js";
import type { ExecSandboxEvent } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { ExecProcess, TerminalSize } from "../../runtime/exec-types.js";
import { execArgv } from "../protocol/exec-argv.js";
import {
  EXEC_OUTPUT_HIGH_WATER,
  exitEvent,
  outputEvent,
  TIMEOUT_EXIT_CODE,
} from "../protocol/exec-events.js";
import { toConnectError } from "../protocol/gateway-errors.js";
import { requireReady } from "../protocol/ready-sandbox.js";
import { requiredField } from "../protocol/required-field.js";
import { sandboxById } from "../protocol/sandbox-lookup.js";
import { checkExecCommand } from "../protocol/validation.js";
import type { LiveSandbox } from "../sandboxes/live-sandbox.js";
import type { SandboxManager } from "../sandboxes/sandbox-manager.js";
import { BufferedQueue } from "../streams/buffered-queue.js";

/** The longest delay a Node timer keeps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ExecRequest {
  sandboxId: string;
  command: string[];
  workdir: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  tty: boolean;
  /** ExecSandboxRequest.no_login_shell: run through a plain shell, not a login shell. */
  noLoginShell: boolean;
  /**
   * Attach stdin. Only when there is input: without it the command reads end of file at once, and
   * the engines answer a stdin-less exec's end faster (no half-open input to settle).
   */
  stdin: boolean;
  size?: TerminalSize;
}

export interface RunningExec {
  process: ExecProcess;
  events: BufferedQueue<ExecSandboxEvent>;
  /** Ends the exec early (client gone, bad frame); the exec's connection to the runtime closes. */
  cancel(reason: string): void;
}

/** Exec needs a READY sandbox whose container exists; the message is the gateway's, word for word. */
export function readyContainer(
  sandboxes: SandboxManager,
  sandboxId: string,
): { sandbox: LiveSandbox; containerId: string } {
  const sandbox = requireReady(sandboxById(sandboxes, sandboxId));
  const containerId = sandbox.record.containerId;
  // A READY sandbox has a container (its phase comes from it); this is for the type, and for a
  // record that lost its id, which cannot run anything either.
  if (containerId === undefined) throw new ConnectError("sandbox is not ready", Code.FailedPrecondition);
  return { sandbox, containerId };
}

/**
 * Runs one command in the sandbox's container through the runtime's exec and turns its output into
 * ExecSandboxEvents: chunks as they come, then exactly one exit event. At `timeout_seconds` the exec
 * ends with exit code 124.
 */
export async function startContainerExec(
  runtime: ContainerRuntime,
  sandboxes: SandboxManager,
  req: ExecRequest,
  clientSignal: AbortSignal,
): Promise<RunningExec> {
  // In the gateway's order: which sandbox, then what to run, then whether it can run now.
  requiredField(req.sandboxId, "sandbox_id");
  checkExecCommand(req.command, req.environment);
  const { sandbox, containerId } = readyContainer(sandboxes, req.sandboxId);
  // Built per exec, so a changed credential reaches the next command without a restart; the
  // placeholders win over the request's own variables, as upstream's supervisor sets them last.
  const env = { ...req.environment, ...sandboxes.providerEnvironment(sandbox) };
  const controller = new AbortController();
  const stop = (reason: unknown) => controller.abort(reason);
  const onClientGone = () => stop(new CanceledError("the client went away"));
  const onShutdown = () => stop(sandboxes.shutdown.reason);
  clientSignal.addEventListener("abort", onClientGone, { once: true });
  sandboxes.shutdown.addEventListener("abort", onShutdown, { once: true });
  const detach = () => {
    clientSignal.removeEventListener("abort", onClientGone);
    sandboxes.shutdown.removeEventListener("abort", onShutdown);
  };

  let process: ExecProcess;
  try {
    process = await runtime.exec(containerId, {
      command: execArgv(req.command, { loginShell: !req.noLoginShell }),
      env,
      ...(req.workdir === "" ? {} : { workdir: req.workdir }),
      tty: req.tty,
      stdin: req.stdin,
      ...(req.size === undefined ? {} : { terminalSize: req.size }),
      signal: controller.signal,
    });
  } catch (error) {
    detach();
    throw toConnectError(error);
  }

  let timedOut = false;
  // Node's timers hold at most 2^31 - 1 ms (24.8 days) and fire at once beyond it: a longer timeout
  // (timeout_seconds is a uint32, up to 136 years) sets no timer, rather than ending the command
  // at once as if it had timed out.
  const timer =
    req.timeoutSeconds > 0 && req.timeoutSeconds * 1000 <= MAX_TIMER_MS
      ? setTimeout(() => {
          timedOut = true;
          stop(new Error("timeout"));
        }, req.timeoutSeconds * 1000)
      : undefined;

  const output = process.output[Symbol.asyncIterator]();
  let reading = false;
  const events: BufferedQueue<ExecSandboxEvent> = new BufferedQueue<ExecSandboxEvent>(() => {
    if (!reading) void pump();
  });
  const finish = (exitCode: number) => {
    clearTimeout(timer);
    detach();
    events.push(exitEvent(exitCode));
    events.end();
  };
  // Output is read only while the client keeps up: beyond the high water mark the pump pauses and the
  // queue's drain callback resumes it.
  const pump = async (): Promise<void> => {
    reading = true;
    try {
      while (events.size <= EXEC_OUTPUT_HIGH_WATER) {
        const next = await output.next();
        if (next.done) {
          const { exitCode } = await process.wait();
          finish(exitCode);
          return;
        }
        events.push(outputEvent(next.value.stream, next.value.data));
      }
    } catch (error) {
      if (timedOut) finish(TIMEOUT_EXIT_CODE);
      else if (controller.signal.aborted && !sandboxes.shutdown.aborted) events.end();
      else {
        clearTimeout(timer);
        detach();
        events.fail(toConnectError(error));
      }
    } finally {
      reading = false;
    }
  };
  void pump();
  return { process, events, cancel: (reason) => stop(new CanceledError(reason)) };
}
