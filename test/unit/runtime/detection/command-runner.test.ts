import { describe, expect, it } from "vitest";
import { runCommand } from "../../../../src/runtime/detection/index.js";

describe("runCommand", () => {
  it("collects output and the exit code, whatever it is", async () => {
    const result = await runCommand(
      process.execPath,
      ["-e", "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"],
      { timeoutMs: 10_000 },
    );
    expect(result).toEqual({ exitCode: 3, stdout: "out", stderr: "err" });
  });

  it("rejects with ENOENT when the program does not exist", async () => {
    const err = await runCommand("openshell-no-such-program", [], { timeoutMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    expect((err as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("kills a program that outlives the timeout (exit code null)", async () => {
    const result = await runCommand(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
      timeoutMs: 200,
    });
    expect(result.exitCode).toBeNull();
  });
});
