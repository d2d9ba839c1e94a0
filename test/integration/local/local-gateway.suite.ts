import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, type Sandbox } from "../../../src/index.js";
import { GATEWAY_LABEL } from "../../../src/local/gateway-identity.js";
import { SANDBOX_ID_LABEL } from "../../../src/local/sandboxes/sandbox-container.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { testImages } from "../../support/test-engines.js";
import { type LocalEngine, localEngine } from "./local-engine.js";
import { describeLocalGatewayFaults } from "./local-gateway-faults.suite.js";
import { describeLocalGatewayListen } from "./local-gateway-listen.suite.js";
import {
  containerOfSandbox,
  containersOf,
  IDLE,
  type LocalKind,
  type LocalSuiteContext,
  leftovers,
  uniqueName,
  until,
} from "./local-gateway-support.js";

/** Every line of a sandbox's log that appears more than once (source and text). */
function duplicated(lines: { source: string; message: string }[]): string[] {
  const seen = new Map<string, number>();
  for (const line of lines) {
    const key = `${line.source}: ${line.message}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([key, n]) => `${key} (x${n})`);
}

/**
 * The embedded local gateway on one engine, as a user sees it through `OpenShell.local()` and
 * `OpenShell.connect()`: restarts that find their sandboxes again, a listener other clients use, bad
 * input and faults that leave nothing half-made, and an ephemeral gateway that leaves nothing at all.
 */
export function describeLocalGateway(on: LocalKind | LocalEngine): void {
  const engine = localEngine(on);
  const dirs: string[] = [];
  let runtime: ContainerRuntime;
  const context: LocalSuiteContext = {
    engine,
    get local() {
      return engine.local();
    },
    runtime: () => runtime,
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), `openshell-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
  };

  beforeAll(async () => {
    await engine.open();
    runtime = await engine.connect();
  });
  afterAll(async () => {
    await runtime?.close();
    await engine.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe("a restarted gateway", () => {
    let stateDir: string;
    let gatewayId: string;
    let os: OpenShell | undefined;
    let sandboxId: string;
    const name = uniqueName("keep");

    beforeAll(() => {
      stateDir = context.tempDir("local-restart");
    });
    afterAll(async () => {
      // Whatever a failed step left: a gateway over the same state removes it all.
      await os?.close();
      const last = await OpenShell.local({ ...context.local, stateDir });
      await last.localGateway?.close({ removeSandboxes: true });
      await last.close();
    });

    const start = async () => {
      os = await OpenShell.local({ ...context.local, stateDir });
      gatewayId = os.localGateway?.gatewayId ?? "";
      return os;
    };
    const stop = async () => {
      await os?.close();
      os = undefined;
    };

    it("takes over a running sandbox: same id, READY, exec works, its logs kept once each", async () => {
      const first = await start();
      const sb = await first.sandboxes.create({
        name,
        image: testImages.sandbox,
        command: ["sh", "-c", `echo first-out; echo first-err >&2; ${IDLE[2]}`],
      });
      sandboxId = sb.info?.id ?? "";
      await sb.ready({ timeoutMs: 30_000 });
      // Written to the main process's stdout, so it is a log line like the command's own.
      expect(await sb.exec(["sh", "-c", "echo last-stored > /proc/1/fd/1"])).toMatchObject({ exitCode: 0 });
      await until("the main process's output in the log", async () => {
        const lines = await sb.logs({ sources: ["sandbox"] });
        const text = lines.map((l) => l.message);
        return text.includes("first-err") && text.includes("last-stored") ? lines : undefined;
      });
      const before = await sb.refresh();
      await stop();

      // Sandboxes outlive the gateway; output written while no gateway runs is not lost either, even
      // in the same second as the last line stored (Podman's log timestamps are whole seconds).
      const container = await containerOfSandbox(runtime, sandboxId);
      expect((await runtime.inspectContainer(container.id)).running).toBe(true);
      const writer = await runtime.exec(container.id, {
        command: ["sh", "-c", "echo while-down > /proc/1/fd/1"],
      });
      expect((await writer.wait()).exitCode).toBe(0);

      const second = await start();
      expect(second.localGateway?.reconciliation).toEqual({ running: [name], missing: [], orphans: [] });
      const again = await second.sandboxes.get(name);
      expect(again.info?.id).toBe(sandboxId);
      expect(again.info?.phase).toBe("ready");
      // Found as it was left: no transition, so no new version.
      expect(again.info?.resourceVersion).toBe(before.resourceVersion);
      expect((await again.ready({ timeoutMs: 5_000 })).phase).toBe("ready");
      expect(await again.exec(["sh", "-c", "echo after > /proc/1/fd/1; echo done"])).toMatchObject({
        exitCode: 0,
        stdout: "done\n",
      });
      const lines = await until("every line, the new ones included", async () => {
        const all = await again.logs();
        const text = all.filter((l) => l.source === "sandbox").map((l) => l.message);
        return text.includes("while-down") && text.includes("after") ? all : undefined;
      });
      const sandboxLines = lines.filter((l) => l.source === "sandbox").map((l) => l.message);
      expect([...sandboxLines].sort()).toEqual([
        "after",
        "first-err",
        "first-out",
        "last-stored",
        "while-down",
      ]);
      expect(lines.some((l) => l.source === "gateway" && /accepted/.test(l.message))).toBe(true);
      expect(duplicated(lines)).toEqual([]);
    });

    it("reports a sandbox whose container was removed behind its back as ERROR ContainerMissing, and deletes it", async () => {
      await stop();
      const container = await containerOfSandbox(runtime, sandboxId);
      await runtime.removeContainer(container.id, { force: true });

      const third = await start();
      expect(third.localGateway?.reconciliation).toEqual({ running: [], missing: [name], orphans: [] });
      const sb = await third.sandboxes.get(name);
      expect(sb.info).toMatchObject({ id: sandboxId, phase: "error", reason: "ContainerMissing" });
      expect(sb.info?.message).toMatch(/no longer exists.*delete the sandbox/);
      const failed = await sb.ready({ timeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: "sandbox_failed", reason: "ContainerMissing" });
      await expect(sb.exec(["true"])).rejects.toMatchObject({ code: "failed_precondition" });

      expect(await sb.delete()).toBe(true);
      await sb.deleted({ timeoutMs: 10_000 });
      await expect(third.sandboxes.get(name)).rejects.toMatchObject({ code: "not_found" });
      // Its logs outlive it, readable by id.
      const logs = await third.raw.openshell.getSandboxLogs({ sandboxId });
      expect(logs.logs.map((l) => l.message)).toContain("first-out");
    });

    it("finishes provisioning the sandboxes a closing gateway left half-way", async () => {
      const gateway = await start();
      const names = [uniqueName("half"), uniqueName("half"), uniqueName("half")];
      // Each at another step (record, image, container, start) when the gateway closes.
      await gateway.sandboxes.create({ name: names[0], image: testImages.sandbox, command: IDLE });
      await gateway.sandboxes.create({ name: names[1], image: testImages.sandbox, command: IDLE });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await gateway.sandboxes.create({ name: names[2], image: testImages.sandbox, command: IDLE });
      await stop();

      const next = await start();
      for (const n of names) {
        const sb = await next.sandboxes.get(n);
        await sb.ready({ timeoutMs: 30_000 });
        expect(await sb.exec(["echo", n])).toMatchObject({ exitCode: 0, stdout: `${n}\n` });
        expect(await runtime.listContainers({ labels: { [SANDBOX_ID_LABEL]: await sb.id() } })).toHaveLength(
          1,
        );
        await sb.delete();
        await sb.deleted({ timeoutMs: 20_000 });
      }
      expect(await containersOf(runtime, gatewayId)).toEqual([]);
    });

    it("reports a container of its own that no sandbox owns as an orphan, and leaves it alone", async () => {
      await stop();
      const orphan = await runtime.createContainer({
        name: uniqueName("orphan"),
        image: testImages.sandbox,
        entrypoint: IDLE.slice(0, 1),
        command: IDLE.slice(1),
        labels: { [GATEWAY_LABEL]: gatewayId, [SANDBOX_ID_LABEL]: crypto.randomUUID() },
      });
      const stray = await runtime.createContainer({
        name: uniqueName("stray"),
        image: testImages.sandbox,
        entrypoint: IDLE.slice(0, 1),
        command: IDLE.slice(1),
        labels: { [GATEWAY_LABEL]: gatewayId },
      });

      const fourth = await start();
      const found = fourth.localGateway?.reconciliation;
      expect(found?.running).toEqual([]);
      expect(found?.missing).toEqual([]);
      expect(found?.orphans.map((o) => o.containerId).sort()).toEqual([orphan.id, stray.id].sort());
      expect(await fourth.sandboxes.list()).toEqual([]);
      expect((await containersOf(runtime, gatewayId)).length).toBe(2);
    });

    it("removes every sandbox and orphan on close({ removeSandboxes }), and forgets them", async () => {
      const gateway = os?.localGateway;
      const sb = await os?.sandboxes.create({ name: uniqueName("gone"), image: testImages.sandbox });
      await sb?.ready({ timeoutMs: 30_000 });
      await gateway?.close({ removeSandboxes: true });
      await stop();
      expect(await leftovers(runtime, gatewayId)).toEqual([]);

      const fifth = await start();
      expect(fifth.localGateway?.reconciliation).toEqual({ running: [], missing: [], orphans: [] });
      expect(await fifth.sandboxes.list()).toEqual([]);
      await expect(fifth.sandboxes.get(sb?.name ?? "")).rejects.toMatchObject({ code: "not_found" });
      // The name is free again.
      const reused = await fifth.sandboxes.create({ name: sb?.name ?? "", image: testImages.sandbox });
      await reused.ready({ timeoutMs: 30_000 });
      await fifth.localGateway?.close({ removeSandboxes: true });
      await stop();
      expect(await leftovers(runtime, gatewayId)).toEqual([]);
    });
  });

  describeLocalGatewayListen(context);
  describeLocalGatewayFaults(context);

  describe("an ephemeral gateway", () => {
    it("leaves nothing in the runtime and removes its state directory when it closes", async () => {
      const os = await OpenShell.local({ ...context.local, ephemeral: true });
      const gateway = os.localGateway;
      if (gateway === undefined) throw new Error("OpenShell.local() has no localGateway");
      expect(existsSync(gateway.stateDir)).toBe(true);
      const sandboxes: Sandbox[] = await Promise.all(
        ["one", "two"].map((prefix) =>
          os.sandboxes.create({ name: uniqueName(prefix), image: testImages.sandbox, command: IDLE }),
        ),
      );
      await Promise.all(sandboxes.map((sb) => sb.ready({ timeoutMs: 30_000 })));
      // One still provisioning when the gateway closes.
      await os.sandboxes.create({ name: uniqueName("three"), image: testImages.sandbox });
      expect((await containersOf(runtime, gateway.gatewayId)).length).toBeGreaterThanOrEqual(2);

      await os.close();
      expect(existsSync(gateway.stateDir)).toBe(false);
      expect(await leftovers(runtime, gateway.gatewayId)).toEqual([]);
    });
  });
}
