import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type OpenShell,
} from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, useTestGatewayClient } from "../../support/test-gateway-client.js";

/** `os.workspaces` end to end: the SDK over real HTTP/2 and mTLS to the test gateway. */
describe("os.workspaces", () => {
  let gateway: TestGateway;
  let os: OpenShell;
  useTestGatewayClient((client) => {
    ({ gateway, os } = client);
  });

  it("create, get and delete a workspace", async () => {
    const created = await os.workspaces.create({ name: "team-a", labels: { tier: "gold" } });
    expect(created).toMatchObject({ name: "team-a", labels: { tier: "gold" }, phase: "active" });
    expect(created.id).not.toBe("");
    expect(await os.workspaces.get("team-a")).toEqual(created);
    expect(await os.workspaces.delete("team-a")).toBe(true);
    expect(await rejection(os.workspaces.get("team-a"))).toBeInstanceOf(NotFoundError);
  });

  it("a duplicate name throws AlreadyExistsError", async () => {
    await os.workspaces.create({ name: "dup" });
    const err = await rejection(os.workspaces.create({ name: "dup" }));
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect((err as Error).message).toContain("dup");
  });

  it("default always exists and cannot be deleted", async () => {
    expect((await os.workspaces.get("default")).phase).toBe("active");
    expect(await rejection(os.workspaces.delete("default"))).toBeInstanceOf(FailedPreconditionError);
  });

  it("delete of a missing workspace throws NotFoundError", async () => {
    expect(await rejection(os.workspaces.delete("missing"))).toBeInstanceOf(NotFoundError);
  });

  it("a workspace holding a sandbox turns terminating and is deleted once empty", async () => {
    await os.workspaces.create({ name: "busy" });
    await os.sandboxes.create({ name: "job", workspace: "busy", command: ["sleep", "60"] });
    const err = await rejection(os.workspaces.delete("busy"));
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toContain("still contains resources");
    expect((await os.workspaces.get("busy")).phase).toBe("terminating");
    await os.sandboxes.delete("job", { workspace: "busy" });
    await os.sandboxes.deleted("job", { workspace: "busy", timeoutMs: 10_000 });
    expect(await os.workspaces.delete("busy")).toBe(true);
  });

  it("list selects by labels and pages with limit and offset", async () => {
    for (const name of ["page-1", "page-2", "page-3"]) {
      await os.workspaces.create({ name, labels: { set: "paging" } });
    }
    const labelled = await os.workspaces.list({ labels: { set: "paging" } });
    expect(labelled.map((w) => w.name)).toEqual(["page-1", "page-2", "page-3"]);
    const all = await os.workspaces.list();
    expect(all.map((w) => w.name)).toContain("default");
    const first = await os.workspaces.list({ limit: 2 });
    const rest = await os.workspaces.list({ limit: 2, offset: 2 });
    expect(first).toHaveLength(2);
    expect([...first, ...rest].map((w) => w.name)).toEqual(all.map((w) => w.name).slice(0, 4));
    const walked: string[] = [];
    for await (const w of os.workspaces.listAll({ limit: 2 })) walked.push(w.name);
    expect(walked).toEqual(all.map((w) => w.name));
    expect(walked.length).toBeGreaterThan(2);
  });

  it("members: add with a role, duplicate, list with paging, remove", async () => {
    await os.workspaces.create({ name: "crew" });
    const alice = await os.workspaces.addMember("crew", "alice@example.com", { role: "admin" });
    expect(alice).toMatchObject({ subject: "alice@example.com", role: "admin", workspace: "crew" });
    const bob = await os.workspaces.addMember("crew", "bob@example.com");
    expect(bob.role).toBe("user");
    await os.workspaces.addMember("crew", "carol@example.com");
    const dup = await rejection(os.workspaces.addMember("crew", "bob@example.com", { role: "admin" }));
    expect(dup).toBeInstanceOf(AlreadyExistsError);

    const members = await os.workspaces.listMembers("crew");
    expect(members.map((m) => [m.subject, m.role])).toEqual([
      ["alice@example.com", "admin"],
      ["bob@example.com", "user"],
      ["carol@example.com", "user"],
    ]);
    expect((await os.workspaces.listMembers("crew", { limit: 1, offset: 1 })).map((m) => m.subject)).toEqual([
      "bob@example.com",
    ]);

    expect(await os.workspaces.removeMember("crew", "bob@example.com")).toBe(true);
    expect(await os.workspaces.removeMember("crew", "bob@example.com")).toBe(false);
    expect(await rejection(os.workspaces.listMembers("nowhere"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(os.workspaces.addMember("nowhere", "dan"))).toBeInstanceOf(NotFoundError);
  });

  it("currentUser says who the client certificate identifies", async () => {
    const me = await os.workspaces.currentUser();
    expect(me).toMatchObject({
      subject: "openshell-test-client",
      identityProvider: "mtls",
      roles: ["admin"],
    });
  });

  it("rejects bad inputs naming the field, before any request", async () => {
    const before = gateway.state.calls.length;
    const cases: [Promise<unknown>, string][] = [
      [os.workspaces.create({ name: "Team" }), "name"],
      [os.workspaces.create({ name: "twenty-characters-xx" }), "name"],
      [os.workspaces.create({ name: "ok", labels: { "a=b": "c" } }), "labels.a=b"],
      [os.workspaces.get(""), "workspace"],
      [os.workspaces.delete("a--b"), "workspace"],
      [os.workspaces.addMember("crew", ""), "subject"],
      // @ts-expect-error: an unknown role, as plain JavaScript could pass it
      [os.workspaces.addMember("crew", "eve", { role: "owner" }), "role"],
      [os.workspaces.listMembers("crew", { limit: 1.5 }), "limit"],
      [os.workspaces.list({ offset: -1 }), "offset"],
    ];
    for (const [call, field] of cases) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe(field);
    }
    expect(gateway.state.calls.length).toBe(before);
  });
});
