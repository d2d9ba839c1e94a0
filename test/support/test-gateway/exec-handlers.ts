import type { ServiceImpl } from "@connectrpc/connect";
import type { ExecSandboxInput, OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { invalid } from "../../../src/local/protocol/validation.js";
import { readySandbox, startExec } from "./exec-process.js";
import type { GatewayState, TerminalSize } from "./gateway-state.js";
import { killGroup } from "./processes.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** Upstream's default terminal when start leaves cols/rows at 0. */
const defaultSize: TerminalSize = { cols: 80, rows: 24 };

export function execHandlers(state: GatewayState): Handlers {
  return {
    async *execSandbox(req, ctx) {
      const record = readySandbox(state, req.sandboxId);
      const run = startExec(state, record, req, ctx.signal);
      // stdin is one shot: everything the client sent, then end of input.
      run.child.stdin?.end(Buffer.from(req.stdin));
      try {
        yield* run.events;
      } finally {
        if (!run.finished()) killGroup(run.child, "SIGKILL");
      }
    },

    async *execSandboxInteractive(inputs, ctx) {
      const frames = inputs[Symbol.asyncIterator]();
      const first = await frames.next();
      if (first.done || first.value.payload.case !== "start") {
        throw invalid("the first ExecSandboxInput frame must be start");
      }
      const start = first.value.payload.value;
      const record = readySandbox(state, start.sandboxId);
      const size = { cols: start.cols || defaultSize.cols, rows: start.rows || defaultSize.rows };
      const setSize = (next: TerminalSize) => {
        state.terminalSizes.set(record.id, next);
        state.lastTerminalSize = next;
      };
      setSize(size);
      // No real pty: programs that care about the size read it from the environment.
      const run = startExec(state, record, start, ctx.signal, {
        COLUMNS: String(size.cols),
        LINES: String(size.rows),
      });
      const stdin = run.child.stdin;
      if (start.stdin.length > 0) stdin?.write(Buffer.from(start.stdin));

      // Client frames are pumped alongside the output; an empty stdin frame or the client's
      // half-close ends the child's stdin.
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
              setSize({ cols: frame.payload.value.cols, rows: frame.payload.value.rows });
            } else if (frame.payload.case === "start") {
              run.events.fail(invalid("start may only be sent once, as the first frame"));
              killGroup(run.child, "SIGKILL");
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
        if (!run.finished()) killGroup(run.child, "SIGKILL");
      }
    },
  };
}
