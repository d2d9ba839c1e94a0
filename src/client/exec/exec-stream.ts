import { create } from "@bufbuild/protobuf";
import { ProtocolError } from "../../errors.js";
import { type ExecSandboxRequest, ExecSandboxRequestSchema } from "../../gen/openshell/v1/openshell_pb.js";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import { type ExecEvent, toExecEvent } from "./exec-events.js";
import {
  type ExecOptions,
  type ExecRunOptions,
  execCommandSchema,
  execOptionsSchema,
} from "./exec-options.js";

/** The target of an exec: the sandbox's name (for messages) and id (for the wire). */
export interface ExecTarget {
  name: string;
  id: () => Promise<string>;
}

/** Validates an exec's inputs and builds the ExecSandbox request. */
export function buildExecRequest(
  sandboxId: string,
  command: string[],
  options: ExecRunOptions,
): ExecSandboxRequest {
  const argv = validate(execCommandSchema, command, "command", { field: "command" });
  const o = validate(execOptionsSchema, options, "exec options");
  return create(ExecSandboxRequestSchema, {
    sandboxId,
    command: argv,
    workdir: o.workdir ?? "",
    environment: o.env ?? {},
    timeoutSeconds: o.timeoutSeconds ?? 0,
    stdin: typeof o.stdin === "string" ? new TextEncoder().encode(o.stdin) : (o.stdin ?? new Uint8Array()),
    tty: o.tty ?? false,
    cols: o.cols ?? 0,
    rows: o.rows ?? 0,
    noLoginShell: o.noLoginShell ?? false,
  });
}

/**
 * Runs a command and yields its output as it comes, ending with its exit event. A stream that ends
 * without an exit event is a ProtocolError: the command's outcome is unknown, never a silent success.
 */
export async function* execStream(
  calls: GatewayCalls,
  target: ExecTarget,
  command: string[],
  options: ExecRunOptions = {},
): AsyncGenerator<ExecEvent, void, undefined> {
  const request = buildExecRequest("", command, options);
  request.sandboxId = await target.id();
  const operation = `exec ${JSON.stringify(command[0])} in sandbox "${target.name}"`;
  const events = calls.stream(operation, options, (o) => calls.openshell.execSandbox(request, o));
  yield* untilExit(events, operation);
}

/** How long the end of an exec's call may take after its exit event before the SDK stops waiting. */
const endAfterExitMs = 2_000;

/**
 * Passes exec events through and insists on the final exit event. The call is read to its end
 * before the exit event is handed out: a stream dropped early is cancelled (HTTP/2 RST_STREAM), and
 * HTTP/2 servers take a client that cancels a stream per exec for a rapid-reset attack and close
 * the whole connection after about a thousand (nghttp2's burst), failing every call on it.
 */
export async function* untilExit(
  events: AsyncIterable<Parameters<typeof toExecEvent>[0]>,
  operation: string,
): AsyncGenerator<ExecEvent, void, undefined> {
  const iterator = events[Symbol.asyncIterator]();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const event = toExecEvent(next.value);
    if (!event) continue;
    if (event.type === "exit") {
      await readToEnd(iterator);
      yield event;
      return;
    }
    yield event;
  }
  throw new ProtocolError(
    `${operation}: the stream ended without an exit code, so the command's outcome is unknown`,
  );
}

/**
 * Reads what follows the exit event (the gateway's trailers, at once) so the call ends cleanly; a
 * gateway that keeps the stream open is given up on after a moment, and an error after the exit
 * does not change the command's outcome.
 */
async function readToEnd(iterator: AsyncIterator<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), endAfterExitMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), late]);
      if (next === "late") {
        void iterator.return?.().catch(() => undefined);
        return;
      }
      if (next.done) return;
    }
  } catch {
    // The exit event is the command's outcome; the stream's end adds nothing to it.
  } finally {
    clearTimeout(timer);
  }
}

/** What a finished command printed and how it exited. */
export interface ExecResult {
  exitCode: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8 (empty under a TTY, where both arrive on stdout). */
  stderr: string;
}

/** Runs a command to completion and returns its exit code and output. */
export async function execBuffered(
  calls: GatewayCalls,
  target: ExecTarget,
  command: string[],
  options: ExecRunOptions = {},
): Promise<ExecResult> {
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  for await (const event of execStream(calls, target, command, options)) {
    if (event.type === "stdout") stdout.push(event.data);
    else if (event.type === "stderr") stderr.push(event.data);
    else return { exitCode: event.exitCode, stdout: decode(stdout), stderr: decode(stderr) };
  }
  // execStream throws rather than ending without an exit event.
  throw new ProtocolError("exec ended without an exit event");
}

function decode(chunks: Uint8Array[]): string {
  // Decoding once at the end keeps multi-byte characters split across chunks intact.
  return Buffer.concat(chunks).toString("utf8");
}

export type { ExecOptions };
