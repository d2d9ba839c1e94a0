import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CanceledError,
  InvalidArgumentError,
  type OpenShell,
  type Sandbox,
  SandboxFailedError,
  TimeoutError,
} from "../../src/index.js";
import { uniqueName } from "./client-surface.suite.js";
import type { E2eTarget } from "./e2e-target.js";

/** Where the target's login shell finds its startup file. */
export interface RunToCompletionOptions {
  /**
   * A writable folder execs pass as HOME, whose `.profile` the login shell reads; undefined: the
   * target reads `.profile` in the folder execs run in (the test gateway's sandbox folder).
   */
  home: string | undefined;
}

/**
 * Sandboxes whose command runs to completion, as a harness drives them: `wait()` for the result,
 * `ready()` failing fast once the command finished, start() running it again, and exec's
 * `noLoginShell`. Every assertion is on what the user sees through the public API.
 */
export function describeRunToCompletion(
  makeTarget: () => Promise<E2eTarget>,
  { home }: RunToCompletionOptions,
): void {
  let target: E2eTarget;
  let os: OpenShell;

  beforeAll(async () => {
    target = await makeTarget();
    os = await target.connect();
  }, 60_000);
  afterAll(async () => {
    for (const sb of await os.sandboxes.list({ labels: { suite: "run-to-completion" } })) {
      await os.sandboxes.delete(sb.name).catch(() => undefined);
    }
    await os?.close();
    await target?.close();
  }, 60_000);

  function job(prefix: string, command: string[], image?: string): Promise<Sandbox> {
    return os.sandboxes.create({
      name: uniqueName(prefix),
      image: image ?? target.image,
      command,
      labels: { suite: "run-to-completion" },
    });
  }

  describe("wait()", () => {
    it("resolves with exit code 0 and phase completed for a command that exits 0", async () => {
      const sb = await job("ok", ["sh", "-c", "echo working; sleep 0.5; exit 0"]);
      const result = await sb.wait({ timeoutMs: 60_000 });
      expect(result).toMatchObject({ exitCode: 0, phase: "completed", reason: "MainProcessCompleted" });
      expect(result.sandbox.phase).toBe("completed");
      expect(sb.info?.phase).toBe("completed");
      // Waiting again on a finished sandbox answers at once, by name too.
      expect(await os.sandboxes.wait(sb.name, { timeoutMs: 10_000 })).toMatchObject({
        exitCode: 0,
        phase: "completed",
      });
    });

    it("resolves (does not throw) with the exit code of a command that exits 3", async () => {
      const sb = await job("three", ["sh", "-c", "sleep 0.5; exit 3"]);
      const result = await sb.wait({ timeoutMs: 60_000 });
      expect(result).toMatchObject({ exitCode: 3, phase: "error", reason: "MainProcessFailed" });
    });

    it("throws SandboxFailedError for a sandbox that fails without running its command", async () => {
      const sb = await job("noimg", ["sh", "-c", "exit 0"], target.failingImage);
      const err = await sb.wait({ timeoutMs: 60_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SandboxFailedError);
      expect(err).toMatchObject({ phase: "error", exitCode: undefined });
    });

    it("gives up after timeoutMs, or when its signal aborts, leaving the sandbox running", async () => {
      const sb = await job("idle", target.idleCommand);
      await sb.ready({ timeoutMs: 60_000 });
      const timedOut = await sb.wait({ timeoutMs: 300 }).catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(TimeoutError);
      expect((timedOut as Error).message).toContain("last phase ready");
      const aborted = await sb.wait({ signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
      expect(aborted).toBeInstanceOf(CanceledError);
      expect((await sb.refresh()).phase).toBe("ready");
    });

    it("throws SandboxFailedError when the sandbox is stopped while waited on", async () => {
      const sb = await job("stopped", target.idleCommand);
      await sb.ready({ timeoutMs: 60_000 });
      const waiting = sb.wait({ timeoutMs: 60_000 }).catch((e: unknown) => e);
      await sb.stop();
      const err = await waiting;
      expect(err).toBeInstanceOf(SandboxFailedError);
      expect(err).toMatchObject({ phase: "stopped" });
      expect((err as Error).message).toContain("stopped before its main process finished");
    });

    it("refuses a timeoutMs that is not positive, naming it, before asking the gateway", async () => {
      const err = await os.sandboxes
        .handle("never-created")
        .wait({ timeoutMs: -1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe("timeoutMs");
    });
  });

  describe("a completed sandbox", () => {
    it("fails ready() fast with phase completed and exit code 0", async () => {
      const sb = await job("done", ["sh", "-c", "exit 0"]);
      await sb.wait({ timeoutMs: 60_000 });
      const started = performance.now();
      const err = await sb.ready({ timeoutMs: 60_000 }).catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(err).toBeInstanceOf(SandboxFailedError);
      expect(err).toMatchObject({ phase: "completed", exitCode: 0, reason: "MainProcessCompleted" });
      expect((err as Error).message).toContain("use wait()");
    });

    it("stays completed on stop(), and start() runs its command again", async () => {
      const sb = await job("rerun", ["sh", "-c", "echo run-marker; sleep 0.3"]);
      await sb.wait({ timeoutMs: 60_000 });
      expect((await sb.stop()).phase).toBe("completed");
      await sb.start();
      const again = await sb.wait({ timeoutMs: 60_000 });
      expect(again).toMatchObject({ exitCode: 0, phase: "completed" });
      // Both runs wrote to the sandbox's log.
      const deadline = Date.now() + 20_000;
      let runs = 0;
      while (Date.now() < deadline) {
        runs = (await sb.logs()).filter((l) => l.message.includes("run-marker")).length;
        if (runs >= 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(runs).toBe(2);
    });
  });

  describe("exec through a login shell", () => {
    it("reads the login shell's startup file by default and not with noLoginShell", async () => {
      const sb = await job("login", target.idleCommand);
      await sb.ready({ timeoutMs: 60_000 });
      const env: Record<string, string> = home === undefined ? {} : { HOME: home };
      const profile = home === undefined ? ".profile" : `${home}/.profile`;
      const write = await sb.exec(["sh", "-c", `echo 'export FROM_PROFILE=yes' > ${profile}`], {
        noLoginShell: true,
      });
      expect(write).toMatchObject({ exitCode: 0, stderr: "" });
      const probe = ["sh", "-c", 'echo "profile:$FROM_PROFILE"'];
      expect((await sb.exec(probe, { env })).stdout).toBe("profile:yes\n");
      expect((await sb.exec(probe, { env, noLoginShell: true })).stdout).toBe("profile:\n");
      expect((await sb.exec(probe, { env, noLoginShell: false })).stdout).toBe("profile:yes\n");
    });

    it("refuses a noLoginShell that is not a boolean, naming the field", async () => {
      const sb = os.sandboxes.handle("never-created");
      const err = await sb
        .exec(["true"], { noLoginShell: "yes" as unknown as boolean })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe("noLoginShell");
    });
  });
}
