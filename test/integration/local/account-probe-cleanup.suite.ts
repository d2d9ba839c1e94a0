import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OpenShell } from "../../../src/index.js";
import { GATEWAY_LABEL } from "../../../src/local/gateway-identity.js";
import {
  ACCOUNT_PROBE_LABEL,
  ACCOUNT_PROBE_OWNER_LABEL,
} from "../../../src/local/sandboxes/account-probe-owner.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { testImages } from "../../support/test-engines.js";
import { type LocalEngine, localEngine } from "./local-engine.js";
import { IDLE, type LocalKind, leftovers, uniqueName } from "./local-gateway-support.js";

/**
 * The short-lived containers that read an image's policy file, accounts and CA bundle (the account
 * probe) never outlive the gateway that made them: a close waits for the probe in flight and removes
 * its container, and a gateway starting on a state directory removes the probe containers of its
 * own gateway id that a crash left, without ever reporting them as orphans.
 */
export function describeAccountProbeCleanup(on: LocalKind | LocalEngine): void {
  const engine = localEngine(on);
  const dirs: string[] = [];
  /** State directories a gateway ran on: each is started once more after the suite and emptied. */
  const used: string[] = [];
  const mine: string[] = [];
  let runtime: ContainerRuntime;

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "openshell-probe-cleanup-"));
    dirs.push(dir);
    return dir;
  };
  const probesOf = (gatewayId: string) =>
    runtime.listContainers({ labels: { [GATEWAY_LABEL]: gatewayId, [ACCOUNT_PROBE_LABEL]: "true" } });

  beforeAll(async () => {
    await engine.open();
    runtime = await engine.connect();
  });
  afterAll(async () => {
    for (const id of mine) await runtime.removeContainer(id, { force: true }).catch(() => undefined);
    for (const stateDir of used) {
      const last = await OpenShell.local({ ...engine.local(), stateDir });
      const gatewayId = last.localGateway?.gatewayId ?? "";
      await last.localGateway?.close({ removeSandboxes: true });
      await last.close();
      expect(await leftovers(runtime, gatewayId)).toEqual([]);
    }
    await runtime?.close();
    await engine.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("a gateway closed while its probe reads the image leaves no probe container", async () => {
    const stateDir = tempDir();
    used.push(stateDir);
    const os = await OpenShell.local({ ...engine.local(), stateDir });
    const gatewayId = os.localGateway?.gatewayId ?? "";
    // A new gateway has read no image yet: a sandbox without a policy has its image's policy file
    // read by a probe container.
    await os.sandboxes.create({ name: uniqueName("probed"), image: testImages.sandbox, command: IDLE });
    const deadline = Date.now() + 30_000;
    while ((await probesOf(gatewayId)).length === 0) {
      if (Date.now() > deadline) throw new Error("no account probe container appeared within 30 s");
    }
    // The engine holds the probe container now; the gateway may not even have its id yet.
    await os.close();
    expect(await probesOf(gatewayId)).toEqual([]);
  }, 60_000);

  it("a gateway starting removes its own probe containers a crash left, and reports no orphan for them", async () => {
    const stateDir = tempDir();
    used.push(stateDir);
    const first = await OpenShell.local({ ...engine.local(), stateDir });
    const gatewayId = first.localGateway?.gatewayId ?? "";
    await first.close();

    const made = (name: string, labels: Record<string, string>) =>
      runtime
        .createContainer({
          name: uniqueName(name),
          image: testImages.sandbox,
          entrypoint: IDLE.slice(0, 1),
          command: IDLE.slice(1),
          labels,
        })
        .then((c) => {
          mine.push(c.id);
          return c;
        });
    // Left by a gateway that died mid-probe: its labels and the probe label.
    const leftProbe = await made("left-probe", { [GATEWAY_LABEL]: gatewayId, [ACCOUNT_PROBE_LABEL]: "true" });
    // Another gateway's probe, and a container of this gateway's without the probe label: not its to remove.
    const othersProbe = await made("other-probe", {
      [GATEWAY_LABEL]: crypto.randomUUID(),
      [ACCOUNT_PROBE_LABEL]: "true",
    });
    const stray = await made("stray", { [GATEWAY_LABEL]: gatewayId });
    // A probe another live process sharing the state directory is reading from: not left, not an orphan.
    const reader = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    await once(reader, "spawn");
    const livesProbe = await made("live-probe", {
      [GATEWAY_LABEL]: gatewayId,
      [ACCOUNT_PROBE_LABEL]: "true",
      [ACCOUNT_PROBE_OWNER_LABEL]: `${hostname()}/${reader.pid}`,
    });

    const second = await OpenShell.local({ ...engine.local(), stateDir });
    try {
      expect(second.localGateway?.reconciliation.orphans.map((o) => o.containerId)).toEqual([stray.id]);
      await expect(runtime.inspectContainer(leftProbe.id)).rejects.toMatchObject({ code: "not_found" });
      expect((await runtime.inspectContainer(othersProbe.id)).id).toBe(othersProbe.id);
      expect((await runtime.inspectContainer(stray.id)).id).toBe(stray.id);
      expect((await probesOf(gatewayId)).map((c) => c.id)).toEqual([livesProbe.id]);
    } finally {
      reader.kill("SIGKILL");
      await second.close();
    }
  }, 60_000);
}
