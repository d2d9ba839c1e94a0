import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type SandboxLogLine, SandboxLogLineSchema } from "../../../src/gen/openshell/v1/openshell_pb.js";

/** Upstream keeps an in-memory ring of this many lines per sandbox (SEMANTICS.md §5). */
export const logBufferCapacity = 2000;

export type LogSource = "gateway" | "sandbox";

/** Most to least severe; OCSF lines count as INFO. */
const levelRank: Record<string, number> = {
  ERROR: 5,
  WARN: 4,
  WARNING: 4,
  INFO: 3,
  OCSF: 3,
  DEBUG: 2,
  TRACE: 1,
};

export interface LogFilter {
  sinceMs: bigint;
  sources: string[];
  /** 0 = every level. */
  minRank: number;
}

/** Builds a filter from request fields; an unknown level is the caller's mistake, not "everything". */
export function logFilter(sinceMs: bigint, sources: string[], minLevel: string): LogFilter {
  let minRank = 0;
  if (minLevel !== "") {
    const rank = levelRank[minLevel.toUpperCase()];
    if (rank === undefined) {
      throw new ConnectError(
        `unknown log level "${minLevel}" (expected ERROR, WARN, INFO, DEBUG or TRACE)`,
        Code.InvalidArgument,
      );
    }
    minRank = rank;
  }
  for (const source of sources) {
    if (source !== "gateway" && source !== "sandbox") {
      throw new ConnectError(
        `unknown log source "${source}" (expected gateway or sandbox)`,
        Code.InvalidArgument,
      );
    }
  }
  return { sinceMs, sources, minRank };
}

export function matches(line: SandboxLogLine, filter: LogFilter): boolean {
  if (filter.sinceMs > 0n && line.timestampMs < filter.sinceMs) return false;
  if (filter.sources.length > 0 && !filter.sources.includes(line.source)) return false;
  return (levelRank[line.level] ?? 3) >= filter.minRank;
}

export class LogBuffer {
  private readonly lines: SandboxLogLine[] = [];

  constructor(private readonly sandboxId: string) {}

  get total(): number {
    return this.lines.length;
  }

  append(source: LogSource, level: string, target: string, message: string): SandboxLogLine {
    const line = create(SandboxLogLineSchema, {
      sandboxId: this.sandboxId,
      timestampMs: BigInt(Date.now()),
      level,
      target,
      message,
      source,
    });
    this.lines.push(line);
    if (this.lines.length > logBufferCapacity) this.lines.shift();
    return line;
  }

  /** The last `count` lines that pass `filter`, oldest first. */
  tail(count: number, filter: LogFilter): SandboxLogLine[] {
    const picked: SandboxLogLine[] = [];
    for (let i = this.lines.length - 1; i >= 0 && picked.length < count; i--) {
      const line = this.lines[i]!;
      if (matches(line, filter)) picked.push(line);
    }
    return picked.reverse();
  }
}
