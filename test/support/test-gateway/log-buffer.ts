import { create } from "@bufbuild/protobuf";
import { type SandboxLogLine, SandboxLogLineSchema } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type LogFilter, type LogSource, matches } from "../../../src/local/protocol/log-filter.js";

export {
  type LogFilter,
  type LogSource,
  logFilter,
  matches,
} from "../../../src/local/protocol/log-filter.js";

/** Upstream keeps an in-memory ring of this many lines per sandbox (SEMANTICS.md §5). */
export const logBufferCapacity = 2000;

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
