import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell as OpenShellService, SandboxPhase } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { OpenShell } from "../../../src/index.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";

/**
 * What the local gateway serves for sandboxes whose command runs to completion, as the protocol says
 * (SEMANTICS.md section 3): COMPLETED for an exit 0, kept across a gateway restart, and WatchSandbox
 * `stop_on_terminal` ending on READY, COMPLETED, STOPPED and ERROR.
 */
describe.each<LocalKind>(["docker", "podman"])("run-to-completion sandboxes in local mode on %s", (kind) => {
  const local = {
    runtime: kind,
    runtimeOptions: { endpoint: kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint },
  };
  let stateDir: string;
  let os: OpenShell;
  let raw: Client<typeof OpenShellService>;

  const open = async () => {
    os = await OpenShell.local({ ...local, stateDir });
    const gateway = os.localGateway;
    if (gateway === undefined) throw new Error("OpenShell.local() has no localGateway");
    raw = createClient(OpenShellService, gateway.transport());
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), `openshell-rtc-${kind}-`));
    await open();
  });
  afterAll(async () => {
    await os?.localGateway?.close({ removeSandboxes: true });
    await os?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** The phases of a stop_on_terminal watch, which must end by itself (the signal only bounds a hang). */
  async function stopOnTerminalPhases(id: string): Promise<SandboxPhase[]> {
    const phases: SandboxPhase[] = [];
    const stream = raw.watchSandbox(
      { id, followStatus: true, stopOnTerminal: true },
      { signal: AbortSignal.timeout(30_000) },
    );
    for await (const event of stream) {
      if (event.payload.case === "sandbox") phases.push(event.payload.value.status?.phase ?? 0);
    }
    return phases;
  }

  it("ends a stop_on_terminal watch on READY, then on COMPLETED, STOPPED and ERROR", async () => {
    const done = await os.sandboxes.create({
      name: uniqueName("sot-done"),
      image: testImages.sandbox,
      command: ["sh", "-c", "sleep 1; exit 0"],
    });
    const fail = await os.sandboxes.create({
      name: uniqueName("sot-fail"),
      image: testImages.sandbox,
      command: ["sh", "-c", "exit 5"],
    });
    const idle = await os.sandboxes.create({
      name: uniqueName("sot-stop"),
      image: testImages.sandbox,
      command: IDLE,
    });

    // From creation: the stream ends at READY (a job is READY while its command runs).
    expect((await stopOnTerminalPhases(await done.id())).at(-1)).toBe(SandboxPhase.READY);

    expect(await done.wait({ timeoutMs: 30_000 })).toMatchObject({ exitCode: 0, phase: "completed" });
    expect(await stopOnTerminalPhases(await done.id())).toEqual([SandboxPhase.COMPLETED]);

    expect(await fail.wait({ timeoutMs: 30_000 })).toMatchObject({ exitCode: 5, phase: "error" });
    expect(await stopOnTerminalPhases(await fail.id())).toEqual([SandboxPhase.ERROR]);

    await idle.ready({ timeoutMs: 30_000 });
    await idle.stop();
    for (let i = 0; i < 300 && (await idle.refresh()).phase !== "stopped"; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await stopOnTerminalPhases(await idle.id())).toEqual([SandboxPhase.STOPPED]);
  });

  it("keeps a completed sandbox COMPLETED, with its exit code, across a gateway restart", async () => {
    const name = uniqueName("rtc-keep");
    const sb = await os.sandboxes.create({
      name,
      image: testImages.sandbox,
      command: ["sh", "-c", "exit 0"],
    });
    const before = await sb.wait({ timeoutMs: 30_000 });
    await os.close();
    await open();
    const after = await os.sandboxes.get(name);
    expect(after.info).toMatchObject({
      phase: "completed",
      exitCode: 0,
      reason: "MainProcessCompleted",
      resourceVersion: before.sandbox.resourceVersion,
    });
    expect(await after.wait({ timeoutMs: 5_000 })).toMatchObject({ exitCode: 0, phase: "completed" });
    // start() runs the command again on the restarted gateway.
    await after.start();
    expect(await after.wait({ timeoutMs: 30_000 })).toMatchObject({ exitCode: 0, phase: "completed" });
  });
});
