import { describe, expect, it } from "vitest";
import { MissingToolError } from "../../../../src/client/files/files-errors.js";
import { ScriptStderr, scriptFailure } from "../../../../src/client/files/script-run.js";
import {
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
  ProtocolError,
} from "../../../../src/errors.js";

const context = { sandboxName: "box", operation: "write", path: "/etc/x" };

/** The error a script's exit code and stderr (fed in the chunks given) come to. */
function failure(exitCode: number, ...stderr: string[]) {
  const reader = new ScriptStderr();
  for (const chunk of stderr) reader.push(Buffer.from(chunk));
  return scriptFailure(exitCode, reader, context);
}

describe("scriptFailure", () => {
  it("is nothing for exit code 0, even with stderr", () => {
    expect(failure(0, "sh: some warning\n")).toBeUndefined();
  });

  it("names a missing tool from the script's marker, even split across chunks", () => {
    const error = failure(90, "openshell-fi", "les:missing-tool:tar\n");
    expect(error).toBeInstanceOf(MissingToolError);
    expect(error).toMatchObject({ tool: "tar", code: "failed_precondition" });
    expect(error?.message).toContain('write "/etc/x" needs `tar` in sandbox "box"');
  });

  it("takes a gateway's exit 127 for sh itself (recorded: local mode, then the test gateway)", () => {
    expect(failure(127, "sh: exec: line 0: sh: not found\n")).toMatchObject({ tool: "sh" });
    expect(failure(127, "exec: sh: spawn sh ENOENT\n")).toMatchObject({ tool: "sh" });
  });

  // The read-only and nonexistent lines were recorded (busybox 1.35 sh on local mode's read-only
  // root; dash on Debian 12); the others follow the same tools' formats.
  it.each([
    [
      "sh: line 7: can't create /etc/.x.part: Read-only file system\n",
      PermissionDeniedError,
      /read-only in the sandbox \(its filesystem policy/,
    ],
    ["sh: 1: cannot create /etc/.x.part: Permission denied\n", PermissionDeniedError, /permission denied/],
    [
      "sh: 1: cannot create /nope/.x.part: Directory nonexistent\n",
      NotFoundError,
      /no such file or directory/,
    ],
    ["rmdir: '/etc/x': Directory not empty\n", FailedPreconditionError, /recursive: true/],
    ["cat: write error: No space left on device\n", FailedPreconditionError, /disk is full/],
    ["tar: short read\n", FailedPreconditionError, /failed \(exit code 91\): tar: short read/],
  ])("classifies %j", (stderr, type, message) => {
    const error = failure(91, stderr);
    expect(error).toBeInstanceOf(type);
    expect(error?.message).toMatch(message);
  });

  it("calls a size or checksum mismatch a ProtocolError that says nothing was written", () => {
    const error = failure(90, "openshell-files:checksum-mismatch:abc\n");
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error?.message).toMatch(/received different bytes.*nothing was written under the final name/);
  });
});
