import type { SandboxLogLine } from "openshell";
import { describe, expect, it } from "vitest";
import {
  streamOf,
  toRegistryLogLine,
} from "../../../../../adapters/agent-registry/adapter/deployment-logs.js";

function line(part: Partial<SandboxLogLine>): SandboxLogLine {
  return {
    timestamp: new Date("2026-12-07T08:00:00.123Z"),
    level: "INFO",
    source: "sandbox",
    target: "main_process",
    message: "hello",
    fields: {},
    ...part,
  };
}

describe("deployment log lines", () => {
  it("puts the main process's INFO lines on stdout and its WARN and ERROR lines on stderr", () => {
    expect(streamOf(line({ level: "INFO" }))).toBe("stdout");
    expect(streamOf(line({ level: "WARN" }))).toBe("stderr");
    expect(streamOf(line({ level: "ERROR" }))).toBe("stderr");
  });

  it("keeps a stream the gateway names, and names the gateway's own lines by their source", () => {
    expect(streamOf(line({ level: "WARN", fields: { stream: "stdout" } }))).toBe("stdout");
    expect(streamOf(line({ source: "gateway", target: "openshell::sandbox" }))).toBe("gateway");
  });

  it("is the registry's { timestamp, stream, line } with an ISO timestamp", () => {
    expect(toRegistryLogLine(line({ message: "agent up" }))).toEqual({
      timestamp: "2026-12-07T08:00:00.123Z",
      stream: "stdout",
      line: "agent up",
    });
  });
});
