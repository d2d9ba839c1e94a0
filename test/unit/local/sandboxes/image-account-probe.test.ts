import { describe, expect, it } from "vitest";
import { CapabilityError } from "../../../../src/errors.js";
import { AccountProbeError, ImageAccountProbe } from "../../../../src/local/sandboxes/image-account-probe.js";
import type { ContainerRuntime } from "../../../../src/runtime/container-runtime.js";
import type { LogLine } from "../../../../src/runtime/log-types.js";

/**
 * A runtime whose `cat` printed `output` and stopped, and that, like Apple `container`, reports no
 * exit code for it (`exitCode` null, waitContainer failing) unless `exitCode` is given.
 */
function stoppedCat(output: LogLine[], exitCode: number | null = null) {
  const removed: string[] = [];
  const runtime = {
    kind: "apple-container",
    capabilities: new Set(["read-only-root", "cap-add-drop"]),
    createContainer: async () => ({ id: "probe-1", name: "probe-1" }),
    startContainer: async () => undefined,
    waitContainer: async () => {
      if (exitCode !== null) return exitCode;
      throw new CapabilityError(
        "wait for container probe-1: it is exited, but this version of the container CLI does not report exit codes. " +
          "Read its logs to see how it ended, or choose a runtime that reports them (OPENSHELL_RUNTIME=docker or podman)",
        { runtime: "apple-container", missing: ["exit-codes"] },
      );
    },
    inspectContainer: async () => ({ running: false, exitCode }),
    async *logs() {
      yield* output;
    },
    removeContainer: async (id: string) => {
      removed.push(id);
    },
  };
  const probe = new ImageAccountProbe({
    runtime: runtime as unknown as ContainerRuntime,
    network: "openshell-local",
    labels: {},
    shutdown: new AbortController().signal,
  });
  return { probe, removed };
}

const line = (text: string): LogLine => ({ stream: "stdout", text, timestamp: undefined }) as LogLine;

describe("ImageAccountProbe on a runtime that reports no exit codes", () => {
  it("reads the accounts once cat has stopped, and removes its container", async () => {
    const { probe, removed } = stoppedCat([
      line("sandbox:x:1000:1000::/sandbox:/bin/sh"),
      line("sandbox:x:1000:"),
    ]);
    const accounts = await probe.accountsOf({ id: "sha256:1" }, new AbortController().signal);
    expect(accounts.passwd).toEqual([expect.objectContaining({ name: "sandbox", uid: 1000, gid: 1000 })]);
    expect(removed).toEqual(["probe-1"]);
  });

  it("says cat stopped, not an exit code it does not know, when there are no users", async () => {
    const { probe } = stoppedCat([line("cat: can't open '/etc/passwd': No such file or directory")]);
    const error = await probe.accountsOf({ id: "sha256:2" }, new AbortController().signal).catch((e) => e);
    expect(error).toBeInstanceOf(AccountProbeError);
    expect((error as Error).message).toBe("cat /etc/passwd /etc/group stopped");
  });

  it("still names the exit code where the runtime reports one", async () => {
    const { probe } = stoppedCat([], 1);
    const error = await probe.accountsOf({ id: "sha256:3" }, new AbortController().signal).catch((e) => e);
    expect((error as Error).message).toBe("cat /etc/passwd /etc/group exited with code 1");
  });
});
