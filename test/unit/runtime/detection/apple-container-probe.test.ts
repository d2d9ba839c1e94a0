import { describe, expect, it } from "vitest";
import { CanceledError, TimeoutError } from "../../../../src/errors.js";
import {
  type CommandRunner,
  NodeCommandRunner,
  probeAppleContainer,
  type RunResult,
} from "../../../../src/runtime/detection/index.js";

/** A runner whose `run` answers `result` (or throws it) and records every argv; `spawn` is not used. */
function runner(result: RunResult | Error): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async run(command, args) {
      calls.push([command, ...args]);
      if (result instanceof Error) throw result;
      return result;
    },
    spawn() {
      throw new Error("the probe does not spawn");
    },
  };
}

function missing(): NodeJS.ErrnoException {
  return Object.assign(new Error("spawn container ENOENT"), { code: "ENOENT" });
}

const probe = (run: CommandRunner, platform: NodeJS.Platform = "darwin") =>
  probeAppleContainer({ platform, runner: run });

describe("probeAppleContainer", () => {
  it('succeeds when `container system status --format json` says "running"', async () => {
    const run = runner({ exitCode: 0, stdout: '{"status":"running","appRoot":"/x"}\n', stderr: "" });
    expect(await probe(run)).toEqual({ ok: true, command: "container" });
    expect(run.calls).toEqual([["container", "system", "status", "--format", "json"]]);
  });

  it("fails with the status and how to start it when the service is not running (exit 1)", async () => {
    const result = await probe(runner({ exitCode: 1, stdout: '{"status":"not running"}', stderr: "" }));
    expect(result).toEqual({
      ok: false,
      command: "container",
      reason:
        "the container system service is not running (exit code 1); start it with `container system start`",
    });
  });

  it("fails when the service is unregistered, from JSON or from prose", async () => {
    for (const answer of [
      { exitCode: 1, stdout: '{"status":"unregistered"}', stderr: "" },
      { exitCode: 1, stdout: "", stderr: "Error: apiserver is unregistered with launchd" },
    ]) {
      const result = await probe(runner(answer));
      expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("is unregistered") });
    }
  });

  it("reads an older CLI's prose answers", async () => {
    expect(await probe(runner({ exitCode: 0, stdout: "apiserver is running\n", stderr: "" }))).toEqual({
      ok: true,
      command: "container",
    });
    expect(
      await probe(runner({ exitCode: 1, stdout: "apiserver is not running\n", stderr: "" })),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining("is not running"),
    });
  });

  it("fails when the binary is not on PATH", async () => {
    expect(await probe(runner(missing()))).toEqual({
      ok: false,
      command: "container",
      reason: "`container` is not on PATH; install Apple container (https://github.com/apple/container)",
    });
  });

  it("reads ENOENT from the real runner as not on PATH", async () => {
    const result = await probeAppleContainer({
      platform: "darwin",
      runner: new NodeCommandRunner(),
      command: "openshell-no-such-container-cli",
    });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("is not on PATH") });
  });

  it("reports other spawn failures, odd answers, errors and timeouts", async () => {
    const denied = Object.assign(new Error("spawn container EACCES"), { code: "EACCES" });
    expect(await probe(runner(denied))).toMatchObject({
      reason: "cannot run `container`: spawn container EACCES",
    });
    expect(await probe(runner({ exitCode: 0, stdout: "{}", stderr: "" }))).toMatchObject({
      reason: "unexpected status answer: {}",
    });
    expect(
      await probe(runner({ exitCode: 64, stdout: "", stderr: "Error: Unknown option '--format'\nUsage..." })),
    ).toMatchObject({
      reason: "`container system status` failed with exit code 64: Error: Unknown option '--format'",
    });
    const timedOut = new TimeoutError("container system did not finish within 5000 ms; it was killed");
    expect(await probe(runner(timedOut))).toMatchObject({
      reason: "`container system status` did not finish (killed after the timeout)",
    });
    const canceled = new CanceledError("container system: canceled by the caller's signal");
    expect(await probe(runner(canceled))).toMatchObject({
      reason: "`container system status` was canceled",
    });
  });

  it("does not run anything off macOS", async () => {
    const run = runner({ exitCode: 0, stdout: '{"status":"running"}', stderr: "" });
    expect(await probe(run, "linux")).toEqual({
      ok: false,
      command: "container",
      reason: "Apple container runs only on macOS (this is linux)",
    });
    expect(run.calls).toEqual([]);
  });

  it("runs the command it is given", async () => {
    const run = runner({ exitCode: 0, stdout: '{"status":"running"}', stderr: "" });
    expect(
      await probeAppleContainer({ platform: "darwin", runner: run, command: "/opt/bin/container" }),
    ).toEqual({ ok: true, command: "/opt/bin/container" });
    expect(run.calls[0]?.[0]).toBe("/opt/bin/container");
  });
});
