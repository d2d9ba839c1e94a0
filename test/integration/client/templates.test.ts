import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  type OpenShell,
  type SandboxInfo,
} from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, useTestGatewayClient } from "../../support/test-gateway-client.js";

/** `os.templates` and `sandboxes.create({ template })` end to end: real HTTP/2 and mTLS to the test gateway. */
describe("os.templates", () => {
  let gateway: TestGateway;
  let os: OpenShell;
  useTestGatewayClient((client) => {
    ({ gateway, os } = client);
  });

  it("create stores a template and get returns what was stored", async () => {
    const created = await os.templates.create({
      name: "py",
      image: "python:3.12",
      env: { GREETING: "from-template" },
      resources: { cpu: "500m", memory: "1Gi" },
      gpus: 1,
      labels: { team: "ml" },
      driverConfig: { docker: { shm_size: "1g" } },
      startup: { readyWithinMs: 30_500, maxBurst: 4 },
    });
    expect(created).toMatchObject({
      name: "py",
      workspace: "default",
      image: "python:3.12",
      env: { GREETING: "from-template" },
      resources: { cpu: "500m", memory: "1Gi" },
      gpus: 1,
      labels: { team: "ml" },
      driverConfig: { docker: { shm_size: "1g" } },
      startup: { readyWithinMs: 30_500, maxBurst: 4 },
    });
    expect(created.id).not.toBe("");
    expect(created.resourceVersion).toBe(1n);
    expect(created.createdAt.getTime()).toBeGreaterThan(0);
    const got = await os.templates.get("py");
    expect(got).toMatchObject({ id: created.id, image: "python:3.12", gpus: 1 });
  });

  it("a second template of the same name is AlreadyExistsError", async () => {
    await os.templates.create({ name: "dup", image: "a:1" });
    const err = await rejection(os.templates.create({ name: "dup", image: "b:2" }));
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect((await os.templates.get("dup")).image).toBe("a:1");
  });

  it("get of a missing template is NotFoundError", async () => {
    const err = await rejection(os.templates.get("nope"));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain("nope");
  });

  it("list filters by labels and pages; listAll walks every page", async () => {
    await os.templates.create({ name: "lab-a", image: "x:1", labels: { kind: "lab" } });
    await os.templates.create({ name: "lab-b", image: "x:1", labels: { kind: "lab" } });
    await os.templates.create({ name: "lab-c", image: "x:1", labels: { kind: "lab" } });
    const labs = await os.templates.list({ labels: { kind: "lab" } });
    expect(labs.map((t) => t.name)).toEqual(["lab-a", "lab-b", "lab-c"]);
    const second = await os.templates.list({ labels: { kind: "lab" }, limit: 2, offset: 2 });
    expect(second.map((t) => t.name)).toEqual(["lab-c"]);
    const all: string[] = [];
    for await (const t of os.templates.listAll({ labels: { kind: "lab" }, limit: 2 })) all.push(t.name);
    expect(all).toEqual(["lab-a", "lab-b", "lab-c"]);
  });

  it("templates are per workspace", async () => {
    await os.workspaces.create({ name: "tpl-other" });
    await os.templates.create({ name: "py", image: "other:1", workspace: "tpl-other" });
    expect((await os.templates.get("py", { workspace: "tpl-other" })).image).toBe("other:1");
    expect((await os.templates.get("py")).image).toBe("python:3.12");
    const everywhere = await os.templates.list({ allWorkspaces: true });
    expect(everywhere.filter((t) => t.name === "py").map((t) => t.workspace)).toEqual([
      "default",
      "tpl-other",
    ]);
    expect(await os.templates.delete("py", { workspace: "tpl-other" })).toBe(true);
  });

  it("delete says whether the template existed", async () => {
    await os.templates.create({ name: "gone", image: "x:1" });
    expect(await os.templates.delete("gone")).toBe(true);
    expect(await os.templates.delete("gone")).toBe(false);
    expect(await rejection(os.templates.get("gone"))).toBeInstanceOf(NotFoundError);
  });

  it("bad inputs are refused before sending, naming the field", async () => {
    const before = gateway.state.calls.length;
    const badName = await rejection(os.templates.create({ name: "Not_A_Label", image: "x:1" }));
    expect(badName).toBeInstanceOf(InvalidArgumentError);
    expect((badName as InvalidArgumentError).field).toBe("name");
    const badCpu = await rejection(os.templates.create({ name: "ok", resources: { cpu: "lots" } }));
    expect((badCpu as InvalidArgumentError).field).toBe("resources.cpu");
    const badGet = await rejection(os.templates.get("x".repeat(20)));
    expect((badGet as InvalidArgumentError).field).toBe("name");
    expect(gateway.state.calls.length).toBe(before);
  });

  describe("sandboxes.create({ template })", () => {
    it("the sandbox runs the template's image, environment and resources and records where it came from", async () => {
      await os.templates.create({
        name: "runner",
        image: "runner:7",
        env: { GREETING: "from-template" },
        resources: { cpu: "250m", memory: "256Mi" },
      });
      const sb = await os.sandboxes.create({
        name: "from-tpl",
        template: "runner",
        command: ["sleep", "60"],
      });
      const info = (await sb.ready()) as SandboxInfo;
      expect(info.template).toEqual({ name: "runner", resourceVersion: "1" });
      expect(info.image).toBe("runner:7");
      expect(info.raw.spec?.template?.resources).toEqual({ limits: { cpu: "250m", memory: "256Mi" } });
      const res = await sb.exec(["sh", "-c", 'echo "$GREETING"']);
      expect(res.stdout).toBe("from-template\n");
      expect((await os.sandboxes.get("from-tpl")).info?.template).toEqual({
        name: "runner",
        resourceVersion: "1",
      });
    });

    it("policy and providers may be added", async () => {
      await os.providers.create({ name: "tpl-gh", type: "github", credentials: { GITHUB_TOKEN: "t" } });
      const sb = await os.sandboxes.create({
        name: "tpl-prov",
        template: "runner",
        providers: ["tpl-gh"],
        command: ["sleep", "60"],
      });
      expect(sb.info?.raw.spec?.providers).toEqual(["tpl-gh"]);
      expect(sb.info?.template?.name).toBe("runner");
    });

    it("a sandbox keeps its template's snapshot after the template is deleted", async () => {
      await os.templates.create({ name: "brief", image: "brief:1", env: { A: "1" } });
      await os.sandboxes.create({ name: "tpl-keep", template: "brief", command: ["sleep", "60"] });
      expect(await os.templates.delete("brief")).toBe(true);
      const info = (await os.sandboxes.get("tpl-keep")).info;
      expect(info?.image).toBe("brief:1");
      expect(info?.template).toEqual({ name: "brief", resourceVersion: "1" });
    });

    it("an unknown template is NotFoundError and creates nothing", async () => {
      const err = await rejection(os.sandboxes.create({ name: "tpl-missing", template: "absent" }));
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as Error).message).toContain("absent");
      expect(await rejection(os.sandboxes.get("tpl-missing"))).toBeInstanceOf(NotFoundError);
    });

    it("fields the template owns are refused client-side, naming the field", async () => {
      const before = gateway.state.calls.length;
      for (const [extra, field] of [
        [{ image: "x:1" }, "image"],
        [{ env: { A: "1" } }, "env"],
        [{ resources: { limits: { cpu: "1" } } }, "resources"],
        [{ gpus: 1 }, "gpus"],
        [{ logLevel: "debug" }, "logLevel"],
        [{ driverConfig: {} }, "driverConfig"],
      ] as const) {
        const err = await rejection(os.sandboxes.create({ template: "runner", ...extra }));
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect((err as InvalidArgumentError).field).toBe(field);
        expect((err as Error).message).toContain("template");
      }
      expect(gateway.state.calls.length).toBe(before);
    });

    it("the gateway refuses a raw request that sets a template-owned field with a template", async () => {
      const err = await rejection(
        os.raw.openshell.createSandbox({
          name: "tpl-raw",
          workloadTemplateName: "runner",
          spec: { environment: { A: "1" } },
        }),
      );
      expect(String(err)).toContain("invalid_argument");
      expect(String(err)).toContain("spec.environment");
    });
  });
});
