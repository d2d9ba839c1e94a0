import type { ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { SandboxManager } from "../sandboxes/sandbox-manager.js";
import { pumpExecInput } from "../streams/exec-input-pump.js";
import { openingFrame } from "../streams/opening-frame.js";
import { startContainerExec } from "./container-exec.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** The gateway's default terminal when start leaves cols/rows at 0. */
const DEFAULT_SIZE = { columns: 80, rows: 24 };

/** ExecSandbox and ExecSandboxInteractive, as execs in the sandbox's container. */
export function execHandlers(runtime: ContainerRuntime, sandboxes: SandboxManager): Handlers {
  return {
    async *execSandbox(req, ctx) {
      const run = await startContainerExec(
        runtime,
        sandboxes,
        {
          sandboxId: req.sandboxId,
          command: req.command,
          workdir: req.workdir,
          environment: req.environment,
          timeoutSeconds: req.timeoutSeconds,
          tty: req.tty,
          noLoginShell: req.noLoginShell,
          stdin: req.stdin.length > 0,
          ...(req.tty
            ? { size: { columns: req.cols || DEFAULT_SIZE.columns, rows: req.rows || DEFAULT_SIZE.rows } }
            : {}),
        },
        ctx.signal,
      );
      // stdin is one shot: everything the client sent, then end of input.
      run.process.stdin?.on("error", () => undefined);
      run.process.stdin?.end(Buffer.from(req.stdin));
      try {
        yield* run.events;
      } finally {
        run.cancel("the exec stream ended");
      }
    },

    async *execSandboxInteractive(inputs, ctx) {
      const { value: start, rest } = await openingFrame(inputs, "start", "ExecSandboxInput frame");
      const run = await startContainerExec(
        runtime,
        sandboxes,
        {
          sandboxId: start.sandboxId,
          command: start.command,
          workdir: start.workdir,
          environment: start.environment,
          timeoutSeconds: start.timeoutSeconds,
          tty: start.tty,
          noLoginShell: start.noLoginShell,
          stdin: true,
          size: { columns: start.cols || DEFAULT_SIZE.columns, rows: start.rows || DEFAULT_SIZE.rows },
        },
        ctx.signal,
      );
      const stdin = run.process.stdin;
      // The command may exit without reading its stdin; that EPIPE is not the client's problem.
      stdin?.on("error", () => undefined);
      pumpExecInput(start.stdin, rest, {
        stdin,
        // Only a terminal has a size, and a resize to nothing is ignored rather than sent to the
        // runtime; one that races the command's exit fails harmlessly.
        async resize({ cols, rows }) {
          if (start.tty && cols > 0 && rows > 0)
            await run.process.resize({ columns: cols, rows }).catch(() => undefined);
        },
        reject(error) {
          run.events.fail(error);
          run.cancel("a second start frame");
        },
      });

      try {
        yield* run.events;
      } finally {
        run.cancel("the exec stream ended");
      }
    },
  };
}
