import { describe, expect, it } from "vitest";
import { CanceledError, InvalidArgumentError, NotFoundError, type OpenShell } from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, useTestGatewayClient } from "../../support/test-gateway-client.js";

/** `os.services` end to end: the SDK over real HTTP/2 and mTLS to the test gateway. */
describe("os.services", () => {
  let gateway: TestGateway;
  let os: OpenShell;
  useTestGatewayClient(async (client) => {
    ({ gateway, os } = client);
    await os.sandboxes.create({ name: "web", command: ["sleep", "60"] });
    await os.sandboxes.create({ name: "api", command: ["sleep", "60"] });
  });

  it("expose publishes a named port with the URL the gateway gives", async () => {
    const svc = await os.services.expose({ sandbox: "web", port: 8080, name: "ui" });
    expect(svc).toMatchObject({ name: "ui", sandboxName: "web", workspace: "default", port: 8080 });
    expect(svc.url).toBe(`http://default--web--ui.openshell.localhost:${gateway.port}/`);
    expect(svc.sandboxId).toBe(gateway.state.sandboxByName("web", "default").id);
    expect(svc.createdAt.getTime()).toBeGreaterThan(0);
  });

  it("an unnamed service has no service part in its URL", async () => {
    const svc = await os.services.expose({ sandbox: "api", port: 3000 });
    expect(svc.name).toBe("");
    expect(svc.url).toBe(`http://default--api.openshell.localhost:${gateway.port}/`);
    expect((await os.services.get("api", "")).port).toBe(3000);
  });

  it("expose again changes the port of the same endpoint", async () => {
    const first = await os.services.expose({ sandbox: "web", port: 9000, name: "admin" });
    const second = await os.services.expose({ sandbox: "web", port: 9001, name: "admin" });
    expect(second.id).toBe(first.id);
    expect((await os.services.get("web", "admin")).port).toBe(9001);
  });

  it("get of a missing endpoint and expose on a missing sandbox throw NotFoundError", async () => {
    expect(await rejection(os.services.get("web", "nope"))).toBeInstanceOf(NotFoundError);
    const err = await rejection(os.services.expose({ sandbox: "ghost", port: 80 }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain("ghost");
  });

  it("list filters by sandbox and pages with limit and offset", async () => {
    await os.services.expose({ sandbox: "web", port: 8081, name: "docs" });
    const ofWeb = await os.services.list({ sandbox: "web" });
    expect(ofWeb.map((s) => s.name).sort()).toEqual(["admin", "docs", "ui"]);
    const all = await os.services.list();
    expect(all.length).toBe(4);
    const first = await os.services.list({ limit: 2 });
    const rest = await os.services.list({ limit: 2, offset: 2 });
    expect([...first, ...rest].map((s) => s.url)).toEqual(all.map((s) => s.url));
    expect(first).toHaveLength(2);
    expect(await os.services.list({ workspace: "other" })).toEqual([]);
    const walked: string[] = [];
    for await (const svc of os.services.listAll({ limit: 3 })) walked.push(svc.url);
    expect(walked).toEqual(all.map((s) => s.url));
  });

  it("delete resolves true once, then false", async () => {
    await os.services.expose({ sandbox: "web", port: 7000, name: "tmp" });
    expect(await os.services.delete("web", "tmp")).toBe(true);
    expect(await os.services.delete("web", "tmp")).toBe(false);
    expect(await rejection(os.services.get("web", "tmp"))).toBeInstanceOf(NotFoundError);
  });

  it("endpoints go away with their sandbox", async () => {
    await os.sandboxes.create({ name: "brief", command: ["sleep", "60"] });
    await os.services.expose({ sandbox: "brief", port: 5000, name: "x" });
    await os.sandboxes.delete("brief");
    await os.sandboxes.deleted("brief", { timeoutMs: 10_000 });
    expect(await os.services.list({ sandbox: "brief" })).toEqual([]);
  });

  it("an aborted signal rejects with CanceledError without a request", async () => {
    const before = gateway.state.calls.length;
    const signal = AbortSignal.abort();
    expect(await rejection(os.services.list({ signal }))).toBeInstanceOf(CanceledError);
    expect(await rejection(os.services.expose({ sandbox: "web", port: 80 }, { signal }))).toBeInstanceOf(
      CanceledError,
    );
    expect(gateway.state.calls.length).toBe(before);
  });

  it("rejects bad inputs naming the field, before any request", async () => {
    const before = gateway.state.calls.length;
    const cases: [Promise<unknown>, string][] = [
      [os.services.expose({ sandbox: "web", port: 0 }), "port"],
      [os.services.expose({ sandbox: "web", port: 65_536 }), "port"],
      [os.services.expose({ sandbox: "web", port: 80.5 }), "port"],
      [os.services.expose({ sandbox: "Web", port: 80 }), "sandbox"],
      [os.services.expose({ sandbox: "web", port: 80, name: "a--b" }), "name"],
      [os.services.expose({ sandbox: "web", port: 80, name: "twenty-characters-xx" }), "name"],
      [os.services.get("web", "UI"), "name"],
      [os.services.delete("", "ui"), "sandbox"],
      [os.services.list({ workspace: "team", allWorkspaces: true }), "allWorkspaces"],
      [os.services.list({ limit: -1 }), "limit"],
    ];
    for (const [call, field] of cases) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe(field);
      expect((err as Error).message).toContain(field);
    }
    expect(gateway.state.calls.length).toBe(before);
  });
});
