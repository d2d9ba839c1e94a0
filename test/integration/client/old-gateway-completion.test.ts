import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, SandboxFailedError } from "../../../src/index.js";
import { startTestGateway, type TestGateway } from "../../support/test-gateway/index.js";

/**
 * A gateway from before upstream PR #2884 has no COMPLETED phase: a main process that exits 0 leaves
 * the sandbox ERROR with exit code 0 (reason MainProcessExited). The SDK reads that as completed.
 */
describe("run-to-completion on an older gateway (exit 0 reported as ERROR)", () => {
  let gateway: TestGateway;
  let os: OpenShell;
  const home = mkdtempSync(join(tmpdir(), "openshell-old-gateway-"));

  beforeAll(async () => {
    gateway = await startTestGateway({ legacyMainProcessExit: true });
    os = await OpenShell.connect({
      endpoint: gateway.endpoint,
      tls: { ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key },
      env: {},
      homeDir: home,
    });
  });
  afterAll(async () => {
    await os?.close();
    await gateway?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("wait() succeeds with exit code 0 and phase completed", async () => {
    const sb = await os.sandboxes.create({ name: "old-ok", command: ["sh", "-c", "sleep 0.2; exit 0"] });
    const result = await sb.wait({ timeoutMs: 10_000 });
    expect(result).toMatchObject({ exitCode: 0, phase: "completed", reason: "MainProcessExited" });
    // The snapshot is what the gateway said.
    expect(result.sandbox.phase).toBe("error");
    expect(result.sandbox.exitCode).toBe(0);
  });

  it("wait() resolves with a non-zero exit code as phase error", async () => {
    const sb = await os.sandboxes.create({ name: "old-three", command: ["sh", "-c", "exit 3"] });
    expect(await sb.wait({ timeoutMs: 10_000 })).toMatchObject({ exitCode: 3, phase: "error" });
  });

  it("ready() on a sandbox whose command exited 0 fails as completed, with exit code 0", async () => {
    const sb = await os.sandboxes.create({ name: "old-done", command: ["true"] });
    await sb.wait({ timeoutMs: 10_000 });
    const err = await sb.ready({ timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxFailedError);
    expect(err).toMatchObject({ phase: "completed", exitCode: 0, reason: "MainProcessExited" });
  });
});
