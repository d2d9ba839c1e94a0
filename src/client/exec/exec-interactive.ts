import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  OpenShellError,
  ProtocolError,
} from "../../errors.js";
import {
  type ExecSandboxInput,
  ExecSandboxInputSchema,
  ExecSandboxWindowResizeSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import { HandoffQueue } from "../internal/handoff-queue.js";
import type { ExecEvent } from "./exec-events.js";
import { type ExecOptions, stdinDataSchema } from "./exec-options.js";
import { buildExecRequest, type ExecTarget, untilExit } from "./exec-stream.js";

/**
 * A running command you talk to: write to its stdin, resize its terminal, read its output.
 * `events` has one consumer; `wait()` reads whatever is left and returns the exit code.
 */
export interface InteractiveExec extends AsyncDisposable {
  /** Output chunks as they come, then the exit event. */
  readonly events: AsyncIterable<ExecEvent>;
  /** Sends bytes to stdin; resolves when the transport has taken them (backpressure). */
  write(data: string | Uint8Array): Promise<void>;
  /** Changes the terminal size (TTY sessions). */
  resize(cols: number, rows: number): Promise<void>;
  /** Closes stdin: the command sees end of file. */
  end(): void;
  /** Reads the rest of the output (discarding it) and returns the exit code. */
  wait(): Promise<number>;
  /** Ends the session now; the gateway stops the command. */
  close(): void;
}

const sizeSchema = z.object({
  cols: z.number().int().min(1).max(10_000),
  rows: z.number().int().min(1).max(10_000),
});

/** Starts an interactive command over ExecSandboxInteractive (stdin stream, resize, tty). */
export async function execInteractive(
  calls: GatewayCalls,
  target: ExecTarget,
  command: string[],
  options: ExecOptions = {},
): Promise<InteractiveExec> {
  const start = buildExecRequest("", command, options);
  start.sandboxId = await target.id();
  const operation = `interactive exec ${JSON.stringify(command[0])} in sandbox "${target.name}"`;
  const input = new HandoffQueue<ExecSandboxInput>();
  // The first frame must be `start`; queue it before the stream opens.
  void input.push(create(ExecSandboxInputSchema, { payload: { case: "start", value: start } }));
  const closer = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, closer.signal]) : closer.signal;
  const events = untilExit(
    calls.stream(operation, { ...options, signal }, (o) => calls.openshell.execSandboxInteractive(input, o)),
    operation,
  );
  let consumed = false;
  let exitCode: number | undefined;
  /** Whether the caller ended stdin (end/close), as opposed to the call ending by itself. */
  let callerEnded = false;
  let failure: unknown;
  const tracked = (async function* () {
    try {
      for await (const event of events) {
        if (event.type === "exit") exitCode = event.exitCode;
        yield event;
      }
    } catch (error) {
      failure = error;
      throw error;
    }
  })();
  // Open the stream now, not on the first read: a caller may write before reading, and writes only
  // complete once the stream is sending. The first result is held until `events` is read.
  const first = tracked.next();
  first.catch(() => undefined);
  const output = (async function* () {
    const head = await first;
    if (head.done) return;
    yield head.value;
    yield* tracked;
  })();

  const send = (payload: ExecSandboxInput["payload"]) => {
    if (input.closed && callerEnded) {
      return Promise.reject(
        new InvalidArgumentError(`${operation}: stdin is already closed`, { field: "stdin" }),
      );
    }
    if (input.closed) {
      // The call ended by itself (the command exited, the gateway went away): say that, not the caller's mistake.
      if (failure instanceof OpenShellError) return Promise.reject(failure);
      const code = exitCode === undefined ? "" : ` with exit code ${exitCode}`;
      return Promise.reject(
        new FailedPreconditionError(
          `${operation}: the command has ended${code}; its stdin takes no more input`,
        ),
      );
    }
    return input.push(create(ExecSandboxInputSchema, { payload }));
  };

  const session: InteractiveExec = {
    get events() {
      if (consumed) throw new InvalidArgumentError("events can be read only once", { field: "events" });
      consumed = true;
      return output;
    },
    write: async (data) => {
      // Checked here: a frame that cannot be encoded would fail the whole stream, not this write.
      const checked = validate(stdinDataSchema, data, "stdin");
      const bytes = typeof checked === "string" ? new TextEncoder().encode(checked) : checked;
      // An empty stdin frame means end of input to the gateway: writing nothing must not close stdin.
      if (bytes.length === 0) return;
      return send({ case: "stdin", value: bytes });
    },
    resize: (cols, rows) => {
      const size = validate(sizeSchema, { cols, rows }, "resize");
      return send({ case: "resize", value: create(ExecSandboxWindowResizeSchema, size) });
    },
    end: () => {
      callerEnded = true;
      input.end();
    },
    wait: async () => {
      if (!consumed) {
        consumed = true;
        for await (const _ of output) {
          // Output nobody asked for is dropped.
        }
      }
      if (exitCode === undefined)
        throw new ProtocolError(`${operation}: no exit code (were events read elsewhere?)`);
      return exitCode;
    },
    close: () => {
      callerEnded = true;
      input.end();
      closer.abort();
    },
    [Symbol.asyncDispose]: async () => session.close(),
  };
  return session;
}
