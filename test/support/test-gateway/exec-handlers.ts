import type { ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { requireReady } from "../../../src/local/protocol/ready-sandbox.js";
import { pumpExecInput } from "../../../src/local/streams/exec-input-pump.js";
import { openingFrame } from "../../../src/local/streams/opening-frame.js";
import { startExec } from "./exec-process.js";
import type { GatewayState, TerminalSize } from "./gateway-state.js";
import { killGroup } from "./processes.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** Upstream's default terminal when start leaves cols/rows at 0. */
const defaultSize: TerminalSize = { cols: 80, rows: 24 };

/** ExecSandbox and ExecSandboxInteractive, as host processes in the sandbox's folder. */
export function execHandlers(state: GatewayState): Handlers {
  return {
    async *execSandbox(req, ctx) {
      const record = requireReady(state.sandboxById(req.sandboxId));
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
      const { value: start, rest } = await openingFrame(inputs, "start", "ExecSandboxInput frame");
      const record = requireReady(state.sandboxById(start.sandboxId));
      const size = { cols: start.cols || defaultSize.cols, rows: start.rows || defaultSize.rows };
      // Every size the client sets is recorded, so tests can see what it sent.
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
      pumpExecInput(start.stdin, rest, {
        stdin: run.child.stdin,
        resize: setSize,
        reject(error) {
          run.events.fail(error);
          killGroup(run.child, "SIGKILL");
        },
      });

      try {
        yield* run.events;
      } finally {
        if (!run.finished()) killGroup(run.child, "SIGKILL");
      }
    },
  };
}
