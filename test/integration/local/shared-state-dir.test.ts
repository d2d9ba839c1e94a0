import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NotFoundError, OpenShell } from "../../../src/index.js";
import { dockerTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, uniqueName } from "./local-gateway-support.js";

/**
 * Two gateways over one state directory (two processes, or two parts of one program): the store is
 * what both read, so each sees the sandboxes the other creates and lets go of those it deletes.
 */
describe("two local gateways sharing a state directory", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "openshell-shared-"));
  const local = { runtime: "docker" as const, runtimeOptions: { endpoint: dockerTestEndpoint }, stateDir };
  const clients: OpenShell[] = [];

  afterAll(async () => {
    const [first, ...rest] = clients;
    for (const os of rest) await os.close();
    await first?.localGateway?.close({ removeSandboxes: true });
    await first?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("see each other's sandboxes, exec in them, and agree when one is deleted", async () => {
    const a = await OpenShell.local(local);
    clients.push(a);
    const b = await OpenShell.local(local);
    clients.push(b);
    expect(b.localGateway?.gatewayId).toBe(a.localGateway?.gatewayId);

    const name = uniqueName("shared");
    const created = await a.sandboxes.create({ name, image: testImages.sandbox, command: IDLE });
    await created.ready({ timeoutMs: 60_000 });

    const seen = await b.sandboxes.get(name);
    expect(seen.info?.id).toBe(created.info?.id);
    expect((await b.sandboxes.list()).map((s) => s.name)).toContain(name);
    expect((await seen.exec(["echo", "from b"])).stdout).toBe("from b\n");
    await expect(b.sandboxes.create({ name, image: testImages.sandbox, command: IDLE })).rejects.toThrow(
      /already exists/,
    );

    await seen.delete();
    await b.sandboxes.deleted(name, { timeoutMs: 60_000 });
    await expect(a.sandboxes.get(name)).rejects.toBeInstanceOf(NotFoundError);
    expect((await a.sandboxes.list()).map((s) => s.name)).not.toContain(name);
  });
});
