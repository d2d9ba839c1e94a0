import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  OpenShell,
  type SandboxInfo,
} from "../../../src/index.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { callFailure } from "../../support/call-failure.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";
import { IDLE, type LocalKind, leftovers, uniqueName } from "./local-gateway-support.js";

/**
 * Sandbox workload templates in local mode, over a real engine through `OpenShell.local()`: stored in
 * the state directory (a restarted gateway still has them), applied as upstream applies them (the
 * template owns image, environment and resources; the request adds only policy and providers), with
 * upstream's codes for what is refused.
 */
export function describeLocalTemplates(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const local = { runtime: kind, runtimeOptions: { endpoint } };
  const stateDir = mkdtempSync(join(tmpdir(), "openshell-templates-"));
  let runtime: ContainerRuntime;
  let os: OpenShell;
  let gatewayId: string;

  beforeAll(async () => {
    runtime = await createRuntime({ runtime: kind, endpoint });
    os = await OpenShell.local({ ...local, stateDir });
    gatewayId = os.localGateway?.gatewayId ?? "";
  });
  afterAll(async () => {
    await os?.localGateway?.close({ removeSandboxes: true });
    await os?.close();
    if (gatewayId) expect(await leftovers(runtime, gatewayId)).toEqual([]);
    await runtime?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("os.templates create, get, list and delete answer with what was stored", async () => {
    const created = await os.templates.create({
      name: "py",
      image: testImages.sandbox,
      env: { GREETING: "from-template" },
      resources: { cpu: "500m", memory: "256Mi" },
      labels: { team: "ml" },
      driverConfig: { kubernetes: { nodeSelector: "gpu" } },
      startup: { readyWithinMs: 30_500, maxBurst: 4 },
    });
    expect(created).toMatchObject({
      name: "py",
      workspace: "default",
      image: testImages.sandbox,
      env: { GREETING: "from-template" },
      resources: { cpu: "500m", memory: "256Mi" },
      gpus: undefined,
      labels: { team: "ml" },
      driverConfig: { kubernetes: { nodeSelector: "gpu" } },
      startup: { readyWithinMs: 30_500, maxBurst: 4 },
      resourceVersion: 1n,
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await os.templates.get("py")).toEqual(created);

    const dup = await rejection(os.templates.create({ name: "py", image: "other:1" }));
    expect(dup).toBeInstanceOf(AlreadyExistsError);
    expect((dup as Error).message).toContain('sandbox template "py" in workspace "default" already exists');
    expect((await os.templates.get("py")).image).toBe(testImages.sandbox);

    for (const name of ["lab-c", "lab-a", "lab-b"]) {
      await os.templates.create({ name, image: testImages.sandbox, labels: { kind: "lab" } });
    }
    const labs = await os.templates.list({ labels: { kind: "lab" } });
    expect(labs.map((t) => t.name)).toEqual(["lab-a", "lab-b", "lab-c"]);
    expect(
      (await os.templates.list({ labels: { kind: "lab" }, limit: 2, offset: 2 })).map((t) => t.name),
    ).toEqual(["lab-c"]);
    const all: string[] = [];
    for await (const t of os.templates.listAll({ limit: 2 })) all.push(t.name);
    expect(all).toEqual(["lab-a", "lab-b", "lab-c", "py"]);
    expect((await os.templates.list({ allWorkspaces: true })).map((t) => t.name)).toEqual(all);

    expect(await os.templates.delete("lab-b")).toBe(true);
    expect(await os.templates.delete("lab-b")).toBe(false);
    const gone = await rejection(os.templates.get("lab-b"));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect((gone as Error).message).toContain('sandbox template "lab-b" not found in workspace "default"');
  });

  it("refuses what upstream refuses, with its codes", async () => {
    const raw = os.raw.openshell;
    expect(
      await callFailure(raw.createSandboxTemplate({ template: { metadata: { name: "x".repeat(20) } } })),
    ).toEqual({
      code: "InvalidArgument",
      message: `template name "${"x".repeat(20)}" must be a DNS-1123 label of at most 19 characters: lowercase letters, digits and "-", not at either end`,
    });
    expect(
      await callFailure(raw.createSandboxTemplate({ template: { metadata: { name: "Bad_Name" } } })),
    ).toMatchObject({
      code: "InvalidArgument",
    });
    expect(await callFailure(raw.createSandboxTemplate({}))).toEqual({
      code: "InvalidArgument",
      message: "template is required",
    });
    expect(
      await callFailure(
        raw.createSandboxTemplate({
          template: {
            metadata: { name: "lots" },
            spec: { workload: { image: "x:1", resources: { cpu: "lots" } } },
          },
        }),
      ),
    ).toMatchObject({
      code: "InvalidArgument",
      message: expect.stringContaining("template.spec.workload.resources.cpu"),
    });
    expect(
      await callFailure(raw.listSandboxTemplates({ workspace: "default", allWorkspaces: true })),
    ).toEqual({
      code: "InvalidArgument",
      message: "workspace and all_workspaces cannot both be set",
    });
    // A workspace never created holds nothing and takes nothing.
    const noSpace = await rejection(os.templates.create({ name: "py", image: "x:1", workspace: "nowhere" }));
    expect(noSpace).toBeInstanceOf(NotFoundError);
    expect((noSpace as Error).message).toContain('workspace "nowhere" not found');
    expect(await os.templates.list({ allWorkspaces: true })).not.toContainEqual(
      expect.objectContaining({ workspace: "nowhere" }),
    );
  });

  it("a sandbox created with { template } runs the template's image and env, the request's command, and shows where it came from", async () => {
    await os.templates.create({
      name: "runner",
      image: testImages.sandbox,
      env: { GREETING: "from-template" },
      resources: { memory: "256Mi" },
    });
    const name = uniqueName("tpl");
    const sb = await os.sandboxes.create({
      name,
      template: "runner",
      // The request's command is kept: it writes what it saw of the environment, then idles.
      command: ["sh", "-c", `echo "$GREETING" > /tmp/seen; ${IDLE[2]}`],
    });
    const info = (await sb.ready({ timeoutMs: 60_000 })) as SandboxInfo;
    expect(info.phase).toBe("ready");
    expect(info.template).toEqual({ name: "runner", resourceVersion: "1" });
    expect(info.image).toBe(testImages.sandbox);
    expect(info.raw.spec?.template?.resources).toEqual({ limits: { memory: "256Mi" } });
    expect((await sb.exec(["cat", "/tmp/seen"])).stdout).toBe("from-template\n");
    expect((await sb.exec(["sh", "-c", 'echo "$GREETING"'])).stdout).toBe("from-template\n");
    // The limit reached the engine: the container's cgroup (v2, or v1) holds 256 MiB.
    const limit = await sb.exec([
      "sh",
      "-c",
      "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]);
    expect(limit.stdout.trim()).toBe(String(256 * 2 ** 20));

    // The sandbox keeps its snapshot once the template is gone; listing shows the provenance too.
    expect(await os.templates.delete("runner")).toBe(true);
    const again = await os.sandboxes.get(name);
    expect(again.info?.template).toEqual({ name: "runner", resourceVersion: "1" });
    expect(again.info?.image).toBe(testImages.sandbox);
    const listed = (await os.sandboxes.list()).find((s) => s.name === name);
    expect(listed?.template).toEqual({ name: "runner", resourceVersion: "1" });
    await sb.delete();
  });

  it("refuses an unknown template, template-owned fields, and a driver_config for this driver, creating nothing", async () => {
    const missing = await rejection(os.sandboxes.create({ name: "tpl-missing", template: "absent" }));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toContain(
      'sandbox template "absent" not found in workspace "default"',
    );

    await os.templates.create({ name: "plain", image: testImages.sandbox });
    const owned = await callFailure(
      os.raw.openshell.createSandbox({
        name: "tpl-owned",
        workloadTemplateName: "plain",
        spec: { environment: { A: "1" }, template: { image: "other:1" } },
      }),
    );
    expect(owned).toMatchObject({ code: "InvalidArgument" });
    expect(owned !== "succeeded" && owned.message).toMatch(
      /^spec\.environment, spec\.template cannot be set with workload_template_name "plain": the template owns/,
    );

    await os.templates.create({
      name: "tuned",
      image: testImages.sandbox,
      driverConfig: { [kind]: { shm_size: "1g" } },
    });
    const tuned = await rejection(os.sandboxes.create({ name: "tpl-tuned", template: "tuned" }));
    expect(tuned).toBeInstanceOf(FailedPreconditionError);
    expect((tuned as Error).message).toContain(`sets driver_config.${kind}, which local mode does not apply`);

    const noSpace = await rejection(
      os.sandboxes.create({ name: "tpl-ws", template: "plain", workspace: "nowhere" }),
    );
    expect(noSpace).toBeInstanceOf(NotFoundError);
    expect((noSpace as Error).message).toContain('workspace "nowhere" not found');

    const names = (await os.sandboxes.list({ allWorkspaces: true })).map((s) => s.name);
    for (const name of ["tpl-missing", "tpl-owned", "tpl-tuned", "tpl-ws"]) expect(names).not.toContain(name);
  });

  it("policy and providers may be added to a sandbox from a template", async () => {
    await os.providers.create({ name: "tpl-gh", type: "github", credentials: { GITHUB_TOKEN: "t" } });
    const sb = await os.sandboxes.create({
      name: uniqueName("tplprov"),
      template: "plain",
      providers: ["tpl-gh"],
      command: IDLE,
    });
    expect(sb.info?.raw.spec?.providers).toEqual(["tpl-gh"]);
    expect(sb.info?.template).toEqual({ name: "plain", resourceVersion: "1" });
    await sb.ready({ timeoutMs: 60_000 });
    await sb.delete();
    const err = await rejection(
      os.sandboxes.create({ name: "tpl-noprov", template: "plain", providers: ["absent"] }),
    );
    expect(err).toBeInstanceOf(FailedPreconditionError);
  });

  it("templates and a sandbox's provenance survive a gateway restart over the same state directory", async () => {
    const kept = await os.templates.create({ name: "kept", image: testImages.sandbox, env: { K: "v" } });
    const name = uniqueName("tplkeep");
    const sb = await os.sandboxes.create({ name, template: "kept", command: IDLE });
    await sb.ready({ timeoutMs: 60_000 });
    await os.close();

    os = await OpenShell.local({ ...local, stateDir });
    expect(os.localGateway?.gatewayId).toBe(gatewayId);
    expect(await os.templates.get("kept")).toEqual(kept);
    expect((await os.templates.list()).map((t) => t.name)).toContain("kept");
    const back = await os.sandboxes.get(name);
    expect(back.info?.template).toEqual({ name: "kept", resourceVersion: "1" });
    expect((await back.exec(["sh", "-c", 'echo "$K"'])).stdout).toBe("v\n");
    // A name stays taken after the restart.
    expect(await rejection(os.templates.create({ name: "kept", image: "x:1" }))).toBeInstanceOf(
      AlreadyExistsError,
    );
    await back.delete();
  });

  it("client-side checks still name the field before anything is sent", async () => {
    const err = await rejection(os.sandboxes.create({ template: "plain", image: "x:1" }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe("image");
  });
}
