import { randomUUID } from "node:crypto";
import {
  CanceledError,
  CapabilityError,
  ContainerRuntimeError,
  type OpenShellError,
} from "../../../errors.js";
import type { ExecExit, ExecProcess, ExecSpec, OutputChunk } from "../../exec-types.js";
import type { SpawnedCommand } from "../../process/command-runner.js";
import { Channel } from "./channel.js";
import { KIND } from "./cli-errors.js";

export interface CliExecParams {
  /** The running `container exec` process. */
  child: SpawnedCommand;
  containerId: string;
  spec: ExecSpec;
  /** Whether the container still runs: asked when the command exits non-zero. */
  containerRunning: () => Promise<boolean>;
  /** The error for a CLI that could not be started. */
  spawnError: (error: unknown) => OpenShellError;
  /** The error when the runtime was closed under the exec (its CLI killed); undefined otherwise. */
  closedError: () => OpenShellError | undefined;
}

/**
 * An ExecProcess over a `container exec` process: its stdout and stderr are the command's, its
 * stdin the command's stdin (`end()` closes it, which the command reads as EOF), its exit code the
 * command's. Aborting kills the CLI and ends the output with a CanceledError; the command inside
 * the container may outlive it. A non-zero exit while the container is no longer running is an
 * error, not an exit code: the container stopped under the command.
 */
export function cliExecProcess(params: CliExecParams): ExecProcess {
  const { child, spec } = params;
  const what = `exec in container ${params.containerId}`;
  const signal = spec.signal;
  const tty = spec.tty ?? false;
  let consumerStopped = false;
  const channel = new Channel<OutputChunk>({
    pause: () => {
      child.stdout.pause();
      child.stderr.pause();
    },
    resume: () => {
      child.stdout.resume();
      child.stderr.resume();
    },
    onReturn: () => {
      consumerStopped = true;
      child.kill("SIGKILL");
    },
  });
  child.stdout.on("data", (data: Buffer) => channel.push({ stream: "stdout", data }));
  child.stderr.on("data", (data: Buffer) => channel.push({ stream: "stderr", data }));

  let settle: { resolve(exit: ExecExit): void; reject(error: unknown): void } | undefined;
  const exited = new Promise<ExecExit>((resolve, reject) => {
    settle = { resolve, reject };
  });
  exited.catch(() => {}); // observed through wait() or the output; never unhandled
  const fail = (error: unknown, immediate: boolean) => {
    channel.fail(error, immediate);
    settle?.reject(error);
  };
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("error", (error) => fail(params.spawnError(error), false));
  }

  const onAbort = () => {
    child.kill("SIGKILL");
    fail(new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal?.reason }), true);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });

  child.exit.then(
    async (exitCode) => {
      signal?.removeEventListener("abort", onAbort);
      const closed = params.closedError();
      if (closed !== undefined) {
        fail(closed, false);
        return;
      }
      if (exitCode !== 0 && !consumerStopped && !channel.closed) {
        const running = await params.containerRunning().catch(() => false);
        if (!running) {
          fail(
            new ContainerRuntimeError(
              `${what}: the container stopped while the command was running; its exit code is unknown`,
              { runtime: KIND },
            ),
            false,
          );
          return;
        }
      }
      channel.end();
      settle?.resolve({ exitCode });
    },
    (error: unknown) => {
      signal?.removeEventListener("abort", onAbort);
      fail(params.spawnError(error), false);
    },
  );

  if (!spec.stdin) child.stdin.end();
  let iterated = false;
  return {
    id: randomUUID(),
    output: {
      [Symbol.asyncIterator]() {
        if (iterated) throw new Error(`${what}: output can be iterated once`);
        iterated = true;
        return channel[Symbol.asyncIterator]();
      },
    },
    stdin: spec.stdin ? child.stdin : null,
    async resize() {
      if (!tty) {
        throw new ContainerRuntimeError(`${what}: resize needs an exec created with tty: true`, {
          runtime: KIND,
        });
      }
      throw new CapabilityError(
        `the ${KIND} runtime cannot resize the terminal of a running exec: the container CLI sizes it once, ` +
          "from its own terminal, and has no resize command. Size the output yourself (COLUMNS and LINES in " +
          "the exec's env), or choose a runtime that can resize (OPENSHELL_RUNTIME=docker or podman).",
        { runtime: KIND, missing: ["exec-resize"] },
      );
    },
    async wait() {
      if (!iterated) {
        iterated = true;
        for await (const _ of channel) {
          // drained: nobody asked for the output
        }
      }
      return exited;
    },
  };
}
