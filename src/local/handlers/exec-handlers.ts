import type { ServiceImpl } from "@connectrpc/connect";
import type { ExecSandboxInput, OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import { invalidArgument as invalid } from "../protocol/gateway-errors.js";
import type { SandboxManager } from "../sandboxes/sandbox-manager.js";
import { startContainerExec } from "./container-exec.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** The gateway's default terminal when start leaves cols/rows at 0. */
const DEFAULT_SIZE = { columns: 80, rows: 24 };

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
      const frames = inputs[Symbol.asyncIterator]();
      const first = await frames.next();
      if (first.done || first.value.payload.case !== "start") {
        throw invalid("the first ExecSandboxInput frame must be start");
      }
      const start = first.value.payload.value;
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
          size: { columns: start.cols || DEFAULT_SIZE.columns, rows: start.rows || DEFAULT_SIZE.rows },
        },
        ctx.signal,
      );
      const stdin = run.process.stdin;
      stdin?.on("error", () => undefined);
      if (start.stdin.length > 0) stdin?.write(Buffer.from(start.stdin));

      // Client frames are pumped alongside the output; an empty stdin frame or the client's
      // half-close ends the command's stdin.
      void (async () => {
        try {
          for (let next = await frames.next(); !next.done; next = await frames.next()) {
            const frame: ExecSandboxInput = next.value;
            if (frame.payload.case === "stdin") {
              if (frame.payload.value.length === 0) stdin?.end();
              else if (stdin?.writable && !stdin.write(Buffer.from(frame.payload.value))) {
                await new Promise((resolve) => stdin.once("drain", resolve));
              }
            } else if (frame.payload.case === "resize") {
              const { cols, rows } = frame.payload.value;
              if (start.tty && cols > 0 && rows > 0)
                await run.process.resize({ columns: cols, rows }).catch(() => undefined);
            } else if (frame.payload.case === "start") {
              run.events.fail(invalid("start may only be sent once, as the first frame"));
              run.cancel("a second start frame");
              return;
            }
          }
        } catch {
          // The request stream broke (client gone); the output side notices through ctx.signal.
        }
        stdin?.end();
      })();

      try {
        yield* run.events;
      } finally {
        run.cancel("the exec stream ended");
      }
    },
  };
}
