import type {
  SandboxLogLine as LogLineMessage,
  SandboxStreamEvent,
} from "../../gen/openshell/v1/openshell_pb.js";
import { type SandboxInfo, toSandboxInfo } from "./sandbox-info.js";

/** Where a log line came from: the sandbox's own processes, or the gateway acting on it. */
export type LogSource = "sandbox" | "gateway" | (string & {});

/** Log levels, most severe first. */
export type LogLevel = "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE" | (string & {});

/** One line of a sandbox's log. */
export interface SandboxLogLine {
  timestamp: Date;
  level: LogLevel;
  source: LogSource;
  /** The component that wrote it (a module path, `main`, ...). */
  target: string;
  message: string;
  /** Structured fields attached to the line. */
  fields: Record<string, string>;
}

/** Something that happened on the platform (scheduling, image pulls, restarts). */
export interface PlatformEventInfo {
  timestamp: Date;
  source: string;
  type: string;
  reason: string;
  message: string;
  metadata: Record<string, string>;
}

/** What `watch()` yields: a new snapshot of the sandbox, a log line, a platform event or a warning. */
export type SandboxEvent =
  | { type: "sandbox"; sandbox: SandboxInfo }
  | { type: "log"; line: SandboxLogLine }
  | { type: "event"; event: PlatformEventInfo }
  | { type: "warning"; message: string }
  | {
      type: "draftPolicyUpdate";
      draftVersion: bigint;
      newChunks: number;
      totalPending: number;
      summary: string;
    };

export function toLogLine(line: LogLineMessage): SandboxLogLine {
  return {
    timestamp: new Date(Number(line.timestampMs)),
    level: line.level,
    source: line.source,
    target: line.target,
    message: line.message,
    fields: { ...line.fields },
  };
}

/** Converts a stream event; undefined for an empty payload (a newer gateway's unknown kind). */
export function toSandboxEvent(event: SandboxStreamEvent): SandboxEvent | undefined {
  const p = event.payload;
  switch (p.case) {
    case "sandbox":
      return { type: "sandbox", sandbox: toSandboxInfo(p.value) };
    case "log":
      return { type: "log", line: toLogLine(p.value) };
    case "event":
      return {
        type: "event",
        event: {
          timestamp: new Date(Number(p.value.timestampMs)),
          source: p.value.source,
          type: p.value.type,
          reason: p.value.reason,
          message: p.value.message,
          metadata: { ...p.value.metadata },
        },
      };
    case "warning":
      return { type: "warning", message: p.value.message };
    case "draftPolicyUpdate":
      return {
        type: "draftPolicyUpdate",
        draftVersion: p.value.draftVersion,
        newChunks: p.value.newChunks,
        totalPending: p.value.totalPending,
        summary: p.value.summary,
      };
    default:
      return undefined;
  }
}
