import { Code, ConnectError } from "@connectrpc/connect";
import type { SandboxLogLine } from "../../gen/openshell/v1/openshell_pb.js";

/** Log sources a sandbox's log lines carry (SEMANTICS.md section 5). */
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

/** The request fields a filter comes from, by their wire names, for the errors that name them. */
export interface LogFilterFields {
  sources: string;
  minLevel: string;
}

/** Builds a filter from request fields; an unknown level is the caller's mistake, not "everything". */
export function logFilter(
  sinceMs: bigint,
  sources: string[],
  minLevel: string,
  fields: LogFilterFields = { sources: "sources", minLevel: "min_level" },
): LogFilter {
  let minRank = 0;
  if (minLevel !== "") {
    const rank = levelRank[minLevel.toUpperCase()];
    if (rank === undefined) {
      throw new ConnectError(
        `${fields.minLevel}: unknown log level "${minLevel}" (expected ERROR, WARN, INFO, DEBUG or TRACE)`,
        Code.InvalidArgument,
      );
    }
    minRank = rank;
  }
  for (const source of sources) {
    if (source !== "gateway" && source !== "sandbox") {
      throw new ConnectError(
        `${fields.sources}: unknown log source "${source}" (expected gateway or sandbox)`,
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
