import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailedPreconditionError, OpenShell, type Sandbox } from "../../../src/index.js";
import { SANDBOX_NAME_LABEL } from "../../../src/local/sandboxes/sandbox-container.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { testImages } from "../../support/test-engines.js";
import { appleContainerEngine } from "./apple-container-engine.js";
import { IDLE, leftovers, uniqueName } from "./local-gateway-support.js";

async function sh(sb: Sandbox, line: string): Promise<{ exitCode: number; out: string }> {
  const { exitCode, stdout, stderr } = await sb.exec(["sh", "-c", line]);
  return { exitCode, out: `${stdout}${stderr}` };
}

/** What the gateway wrote on a sandbox's log about what the runtime does not enforce. */
async function gaps(sb: Sandbox): Promise<string[]> {
  const pattern = /is not enforced|are not dropped|is not set|are not limited/;
  return (await sb.logs({ sources: ["gateway"] }))
    .filter((line) => line.level === "WARN" && pattern.test(line.message))
    .map((line) => line.message);
}

/**
 * The static policy on Apple `container` (emulated 1.1 CLI): what its CLI can set (user, read-only
 * root, tmpfs for the writable paths, dropped capabilities) is enforced; what it cannot (pids limit,
 * no-new-privileges) refuses a hard_requirement naming both, and best_effort runs and says so once.
 */
describe("the static policy on apple-container 1.1.0 (emulated)", () => {
  const engine = appleContainerEngine("1.1.0");
  let os: OpenShell;
  let runtime: ContainerRuntime;
  let gatewayId: string;

  beforeAll(async () => {
    await engine.open();
    runtime = await engine.connect();
    os = await OpenShell.local({ ...engine.local(), ephemeral: true });
    gatewayId = os.localGateway?.gatewayId ?? "";
  }, 60_000);
  afterAll(async () => {
    await os?.close();
    if (gatewayId) expect(await leftovers(runtime, gatewayId)).toEqual([]);
    await runtime?.close();
    await engine.close();
  });

  it("refuses hard_requirement at create, naming the runtime and what it lacks, and makes nothing", async () => {
    const name = uniqueName("hard");
    const error = await os.sandboxes
      .create({
        name,
        image: testImages.sandbox,
        command: IDLE,
        policy: { landlock: { compatibility: "hard_requirement" } },
      })
      .catch((e: unknown) => e);
    // FAILED_PRECONDITION on the wire, as the gateway answers a policy its runtime cannot enforce.
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect((error as Error).message).toMatch(
      /the apple-container runtime cannot enforce spec\.policy with spec\.policy\.landlock\.compatibility "hard_requirement": it has no no-new-privileges, pids-limit\./,
    );
    expect((await os.sandboxes.list()).map((s) => s.name)).not.toContain(name);
    expect(await runtime.listContainers({ labels: { [SANDBOX_NAME_LABEL]: name } })).toEqual([]);
  });

  it("runs best_effort as the image's user with the filesystem enforced, and says once what is not", async () => {
    const sb = await os.sandboxes.create({
      name: uniqueName("soft"),
      image: testImages.sandbox,
      command: IDLE,
      policy: { landlock: { compatibility: "best_effort" } },
    });
    await sb.ready({ timeoutMs: 60_000 });
    expect(await sh(sb, "id -u; id -g; pwd")).toEqual({ exitCode: 0, out: "1000\n1000\n/sandbox\n" });
    // A read-only root; the workdir and /tmp are writable tmpfs mounts, and programs there run.
    for (const path of ["/x", "/etc/x", "/home/sandbox/x"]) {
      const denied = await sh(sb, `touch ${path}`);
      expect(denied.exitCode, path).not.toBe(0);
      expect(denied.out, path).toMatch(/Read-only file system|Permission denied/);
    }
    expect(
      await sh(
        sb,
        "touch /tmp/a && printf '#!/bin/sh\\necho ran\\n' > /sandbox/run.sh && chmod +x /sandbox/run.sh && ./run.sh",
      ),
    ).toEqual({ exitCode: 0, out: "ran\n" });
    // Capabilities are dropped.
    expect((await sh(sb, "grep '^CapEff:' /proc/self/status")).out).toMatch(/CapEff:\s+0000000000000000/);
    expect(await gaps(sb)).toEqual([
      "no-new-privileges is not set: the apple-container runtime cannot set it, so setuid programs in the image can raise a process's privileges (landlock.compatibility is best_effort)",
      "processes are not limited: the apple-container runtime has no pids-limit (the limit would be 1024) (landlock.compatibility is best_effort)",
    ]);
    await sb.delete();
    await sb.deleted({ timeoutMs: 30_000 });
  });
});
