import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, SandboxFailedError } from "../../../src/index.js";
import { testImages } from "../../support/test-engines.js";
import { appleContainerEngine } from "./apple-container-engine.js";
import { uniqueName, until } from "./local-gateway-support.js";

/**
 * A sandbox's main process ending on Apple `container` (emulated 1.1 CLI), which reports neither
 * exit codes nor end times: each run's end is ERROR MainProcessExited, the first run's and a run
 * started again alike, and never a STARTING that does not end.
 */
describe("a main process that ends, on apple-container 1.1.0 (emulated)", () => {
  const engine = appleContainerEngine("1.1.0");
  let os: OpenShell;

  beforeAll(async () => {
    await engine.open();
    os = await OpenShell.local({ ...engine.local(), ephemeral: true });
  }, 60_000);
  afterAll(async () => {
    await os?.close();
    await engine.close();
  });

  it("ends each run ERROR MainProcessExited, a run started again included, with both runs' output kept", async () => {
    const sb = await os.sandboxes.create({
      name: uniqueName("ends"),
      image: testImages.sandbox,
      command: ["sh", "-c", "echo run; sleep 1; exit 0"],
    });
    const ended = async () =>
      until(
        "the sandbox to end",
        async () => {
          const info = await sb.refresh();
          return info.phase === "error" ? info : undefined;
        },
        30_000,
      );
    expect(await ended()).toMatchObject({ reason: "MainProcessExited", exitCode: undefined });
    await sb.start();
    expect((await sb.refresh()).phase).not.toBe("error");
    expect(await ended()).toMatchObject({ reason: "MainProcessExited", exitCode: undefined });
    const failed = await sb.ready({ timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(SandboxFailedError);
    const runs = await until("both runs' output in the log", async () => {
      const lines = (await sb.logs({ sources: ["sandbox"] })).filter((l) => l.message === "run");
      return lines.length === 2 ? lines : undefined;
    });
    expect(runs).toHaveLength(2);
    await sb.delete();
    await sb.deleted({ timeoutMs: 30_000 });
  });
});
