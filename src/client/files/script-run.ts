import { FailedPreconditionError, NotFoundError, type OpenShellError, ProtocolError } from "../../errors.js";
import type { ExecEvent } from "../exec/exec-events.js";
import { type FileFailureContext, fileError, MissingToolError } from "./files-errors.js";
import { afterMarker, BEGIN } from "./output-start.js";

/** Exit code of a script that refused with an `openshell-files:` line; 91: a tool failed. */
const REFUSED = 90;
/** A shell's "command not found" (also what the gateway reports when `sh` itself is missing). */
const NOT_FOUND = 127;
const MARKER = "openshell-files:";
/** Stderr kept for an error message; the rest is dropped. */
const MAX_STDERR = 16 * 1024;

/**
 * Reads a script's stderr as it arrives: `openshell-files:` lines are markers (a refusal),
 * everything else is the tools' own error text.
 */
export class ScriptStderr {
  private partial = "";
  private text = "";
  readonly markers: string[] = [];
  private readonly decoder = new TextDecoder();

  push(data: Uint8Array): void {
    this.partial += this.decoder.decode(data, { stream: true });
    for (let nl = this.partial.indexOf("\n"); nl >= 0; nl = this.partial.indexOf("\n")) {
      this.line(this.partial.slice(0, nl));
      this.partial = this.partial.slice(nl + 1);
    }
  }

  /** The tools' error text (markers removed), after the last chunk. */
  finish(): string {
    if (this.partial !== "") this.line(this.partial);
    this.partial = "";
    return this.text;
  }

  private line(line: string): void {
    if (line.startsWith(MARKER)) {
      const marker = line.slice(MARKER.length);
      this.markers.push(marker);
    } else if (this.text.length < MAX_STDERR) {
      this.text += `${line}\n`;
    }
  }
}

/** Messages for each refusal a script can print, keyed by its kind. */
function refusal(kind: string, detail: string, context: FileFailureContext): OpenShellError {
  const { sandboxName, operation, path } = context;
  const where = `${operation} ${JSON.stringify(path)} in sandbox "${sandboxName}"`;
  switch (kind) {
    case "missing-tool":
      return new MissingToolError(detail, sandboxName, `${operation} ${JSON.stringify(path)}`);
    case "not-found":
      return new NotFoundError(`${where}: no such file or directory in the sandbox`);
    case "parent-missing":
      return new NotFoundError(
        `${where}: its directory does not exist in the sandbox; create it first with files.mkdir()`,
      );
    case "parent-not-directory":
      return new FailedPreconditionError(`${where}: a path segment above it is not a directory`);
    case "is-a-directory":
      return new FailedPreconditionError(
        `${where}: it is a directory; use files.download() / files.upload() or files.list() for directories`,
      );
    case "not-a-directory":
      return new FailedPreconditionError(`${where}: it is not a directory`);
    case "exists-not-directory":
      return new FailedPreconditionError(`${where}: a file that is not a directory already has that name`);
    case "size-mismatch":
    case "checksum-mismatch":
      return new ProtocolError(
        `${where}: the sandbox received different bytes than were sent (${kind}, got ${detail}); ` +
          "nothing was written under the final name, try again",
      );
    default:
      return new ProtocolError(`${where}: the sandbox's script refused with "${kind}"`);
  }
}

/**
 * The error a finished script's exit code and stderr mean, or undefined for success. A refusal
 * (exit 90) is named by its marker; exit 127 without one is `sh` itself missing; anything else is
 * classified from the tools' errno text.
 */
export function scriptFailure(
  exitCode: number,
  stderr: ScriptStderr,
  context: FileFailureContext,
): OpenShellError | undefined {
  const text = stderr.finish();
  if (exitCode === 0) return undefined;
  const marker = stderr.markers[0];
  if (exitCode === REFUSED && marker !== undefined) {
    const colon = marker.indexOf(":");
    const kind = colon < 0 ? marker : marker.slice(0, colon);
    return refusal(kind, colon < 0 ? "" : marker.slice(colon + 1), context);
  }
  if (exitCode === NOT_FOUND && /\bsh\b/.test(text)) {
    return new MissingToolError(
      "sh",
      context.sandboxName,
      `${context.operation} ${JSON.stringify(context.path)}`,
    );
  }
  return fileError(context, text, exitCode);
}

/**
 * Reads a script's exec events: stdout chunks are yielded as they come (the bytes untouched),
 * stderr is kept for the outcome, and a failed exit throws the error it means. Returns normally
 * only on exit code 0.
 */
export async function* scriptOutput(
  events: AsyncIterable<ExecEvent>,
  context: FileFailureContext,
  stderr: ScriptStderr = new ScriptStderr(),
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const event of events) {
    if (event.type === "stdout") yield event.data;
    else if (event.type === "stderr") stderr.push(event.data);
    else {
      const failure = scriptFailure(event.exitCode, stderr, context);
      if (failure) throw failure;
      return;
    }
  }
  throw new ProtocolError(
    `${context.operation} ${JSON.stringify(context.path)} in sandbox "${context.sandboxName}": the exec ended without an exit code`,
  );
}

/** Runs a script to its end and returns its stdout (small outputs: listings, verdicts). */
export async function collectOutput(
  events: AsyncIterable<ExecEvent>,
  context: FileFailureContext,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of afterMarker(scriptOutput(events, context), BEGIN)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
