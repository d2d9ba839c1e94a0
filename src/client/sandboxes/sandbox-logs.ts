import { z } from "zod";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, StreamRequestOptions } from "../request-options.js";
import { type LogLevel, type LogSource, type SandboxLogLine, toLogLine } from "./sandbox-events.js";
import type { SandboxService } from "./sandbox-service.js";

/** Filters shared by reading and following logs. */
export interface LogFilter {
  /** How many recent lines (reading: default 2000; following: history first, default 200). */
  lines?: number;
  /** Only lines at or after this time. */
  since?: Date;
  /** Only lines from these sources. */
  sources?: LogSource[];
  /** Only lines at this level or more severe. */
  minLevel?: LogLevel;
}

export interface ReadLogsOptions extends LogFilter, RequestOptions {
  follow?: false;
}

export interface FollowLogsOptions extends LogFilter, StreamRequestOptions {
  /** Keep the stream open and yield new lines as they are written, until the sandbox is deleted. */
  follow: true;
}

const filterSchema = z
  .object({
    lines: z.number().int().min(0).max(100_000).optional(),
    since: z.date().optional(),
    sources: z.array(z.string().min(1)).optional(),
    minLevel: z.string().optional(),
    follow: z.boolean().optional(),
    signal: z.instanceof(AbortSignal).optional(),
    timeoutMs: z.number().int().positive().optional(),
    handshakeTimeoutMs: z.number().int().positive().optional(),
  })
  .strict();

/** Recent log lines of a sandbox, oldest first. */
export async function readLogs(
  calls: GatewayCalls,
  sandbox: { name: string; workspace: string; id: () => Promise<string> },
  options: ReadLogsOptions = {},
): Promise<SandboxLogLine[]> {
  const o = validate(filterSchema, options, "logs options");
  const sandboxId = await sandbox.id();
  const res = await calls.unary(`read logs of sandbox "${sandbox.name}"`, options, (c) =>
    calls.openshell.getSandboxLogs(
      {
        sandboxId,
        lines: o.lines ?? 0,
        sinceMs: BigInt(o.since?.getTime() ?? 0),
        sources: o.sources ?? [],
        minLevel: o.minLevel ?? "",
        workspace: sandbox.workspace,
      },
      c,
    ),
  );
  return res.logs.map(toLogLine);
}

/** Log lines as they are written; ends when the sandbox is deleted, throws when the connection fails. */
export async function* followLogs(
  service: SandboxService,
  sandbox: { name: string; workspace: string; id: () => Promise<string> },
  options: FollowLogsOptions,
): AsyncGenerator<SandboxLogLine, void, undefined> {
  const o = validate(filterSchema, options, "logs options");
  const id = await sandbox.id();
  const events = service.watchById(sandbox.name, id, {
    signal: options.signal,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    workspace: sandbox.workspace,
    // Status stays on: the gateway's snapshot comes first and proves the stream is live.
    status: true,
    logs: true,
    logTailLines: o.lines,
    logSince: o.since,
    logSources: o.sources,
    logMinLevel: o.minLevel,
  });
  for await (const event of events) {
    if (event.type === "log") yield event.line;
  }
}
