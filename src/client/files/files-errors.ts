import {
  FailedPreconditionError,
  NotFoundError,
  type OpenShellError,
  type OpenShellErrorOptions,
  PermissionDeniedError,
} from "../../errors.js";

/**
 * The sandbox's image lacks a program a file operation runs there (`tar` for directories, `cat` for
 * files, `sh` for everything). Code `failed_precondition`: add the program to the image, or use a
 * call that does not need it (single files need no `tar`).
 */
export class MissingToolError extends FailedPreconditionError {
  /** The program that was not found on the sandbox's PATH. */
  readonly tool: string;

  constructor(tool: string, sandboxName: string, operation: string, options?: OpenShellErrorOptions) {
    super(
      `${operation} needs \`${tool}\` in sandbox "${sandboxName}", and its image has none on PATH: ` +
        `install it in the image (busybox or coreutils${tool === "tar" ? "/tar" : ""} provide it)` +
        (tool === "tar" ? ", or transfer single files, which need no tar" : ""),
      options,
    );
    this.tool = tool;
  }
}

/** What a failed file operation was doing, for the error's message. */
export interface FileFailureContext {
  sandboxName: string;
  /** `write`, `read`, `list`, ... as the user called it. */
  operation: string;
  /** The sandbox path the user named. */
  path: string;
}

/**
 * Turns what a sandbox's shell tools printed (their errno texts, the same in busybox, coreutils and
 * GNU tar) into the SDK's errors, so callers branch on classes instead of parsing text.
 */
export function fileError(context: FileFailureContext, detail: string, exitCode?: number): OpenShellError {
  const { sandboxName, operation, path } = context;
  const where = `${operation} ${JSON.stringify(path)} in sandbox "${sandboxName}"`;
  const text = detail.trim();
  if (/Read-only file system/i.test(text)) {
    return new PermissionDeniedError(
      `${where}: the path is read-only in the sandbox (its filesystem policy keeps it read-only); ` +
        "write under one of the policy's read_write paths (such as /sandbox or /tmp), or add this path to them",
    );
  }
  if (/Permission denied|Operation not permitted/i.test(text)) {
    return new PermissionDeniedError(
      `${where}: permission denied (the sandbox's user may not write there, or its filesystem policy ` +
        `makes the path read-only): ${text}`,
    );
  }
  if (/No such file or directory|Directory nonexistent/i.test(text)) {
    return new NotFoundError(`${where}: no such file or directory in the sandbox`);
  }
  if (/Directory not empty/i.test(text)) {
    return new FailedPreconditionError(
      `${where}: the directory is not empty; pass { recursive: true } to remove it with everything in it`,
    );
  }
  if (/No space left/i.test(text)) {
    return new FailedPreconditionError(`${where}: the sandbox's disk is full: ${text}`);
  }
  const code = exitCode === undefined ? "" : ` (exit code ${exitCode})`;
  return new FailedPreconditionError(`${where} failed${code}: ${text || "no error text"}`);
}
