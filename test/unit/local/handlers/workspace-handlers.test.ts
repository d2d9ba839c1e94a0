import { userInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { WorkspacePhase } from "../../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import { WorkspaceRole } from "../../../../src/gen/openshell/v1/workspaces_pb.js";
import { harnessPerTest, outcome } from "./handler-harness.js";

const h = harnessPerTest();

const names = (res: { workspaces: { metadata?: { name: string } }[] }) =>
  res.workspaces.map((w) => w.metadata?.name);

async function createProvider(name: string, workspace: string) {
  return h.client.createProvider({
    provider: { metadata: { name }, type: "openai", credentials: { OPENAI_API_KEY: "sk-x" } },
    workspace,
  });
}

describe("workspace handlers", () => {
  it("always have default: listed, readable, not creatable again, not deletable", async () => {
    expect(names(await h.client.listWorkspaces({}))).toEqual(["default"]);
    const { workspace } = await h.client.getWorkspace({ name: "default" });
    expect(workspace?.status?.phase).toBe(WorkspacePhase.ACTIVE);
    expect(workspace?.metadata?.id).toMatch(/^[0-9a-f-]{36}$/);
    // Its id and creation time hold from one answer to the next.
    expect((await h.client.getWorkspace({ name: "default" })).workspace).toEqual(workspace);
    expect(await outcome(h.client.createWorkspace({ name: "default" }))).toEqual({
      code: "AlreadyExists",
      message: 'workspace "default" already exists (every gateway has it)',
    });
    expect(await outcome(h.client.deleteWorkspace({ name: "default" }))).toEqual({
      code: "FailedPrecondition",
      message: 'workspace "default" cannot be deleted: every gateway has it (delete what it holds instead)',
    });
  });

  it("create a workspace with labels, once, and refuse names that are not short DNS labels", async () => {
    const before = Date.now();
    const { workspace } = await h.client.createWorkspace({ name: "team-a", labels: { team: "a" } });
    expect(workspace?.metadata).toMatchObject({ name: "team-a", labels: { team: "a" }, resourceVersion: 1n });
    expect(Number(workspace?.metadata?.createdAtMs)).toBeGreaterThanOrEqual(before);
    expect(workspace?.status?.phase).toBe(WorkspacePhase.ACTIVE);
    expect((await h.client.getWorkspace({ name: "team-a" })).workspace).toEqual(workspace);
    expect(await outcome(h.client.createWorkspace({ name: "team-a" }))).toEqual({
      code: "AlreadyExists",
      message: 'workspace "team-a" already exists',
    });
    for (const name of ["", "a".repeat(20), "Team", "a--b", "-a", "a_b"]) {
      expect((await outcome(h.client.createWorkspace({ name }))).code, name).toBe("InvalidArgument");
    }
    expect((await outcome(h.client.createWorkspace({ name: "a".repeat(20) }))).message).toBe(
      `workspace name "${"a".repeat(20)}" is longer than 19 characters`,
    );
    expect(names(await h.client.listWorkspaces({}))).toEqual(["default", "team-a"]);
  });

  it("list by name, filtered by labels, paged", async () => {
    for (const [name, team] of [
      ["c", "x"],
      ["a", "x"],
      ["b", "y"],
    ] as const) {
      await h.client.createWorkspace({ name, labels: { team } });
    }
    expect(names(await h.client.listWorkspaces({}))).toEqual(["a", "b", "c", "default"]);
    expect(names(await h.client.listWorkspaces({ labelSelector: "team=x" }))).toEqual(["a", "c"]);
    expect(names(await h.client.listWorkspaces({ limit: 2, offset: 1 }))).toEqual(["b", "c"]);
    expect((await outcome(h.client.listWorkspaces({ labelSelector: "team" }))).code).toBe("InvalidArgument");
  });

  it("answer NOT_FOUND for a workspace never created, saying how to create it", async () => {
    expect(await outcome(h.client.getWorkspace({ name: "nope" }))).toEqual({
      code: "NotFound",
      message:
        'workspace "nope" not found: os.workspaces.list() shows those there are; create it with os.workspaces.create({ name: "nope" })',
    });
    expect((await outcome(h.client.deleteWorkspace({ name: "nope" }))).code).toBe("NotFound");
    expect(await outcome(createProvider("llm", "nope"))).toEqual({
      code: "NotFound",
      message: 'workspace "nope" not found: create it first with os.workspaces.create({ name: "nope" })',
    });
  });

  it("refuse to delete a workspace that holds a provider, leave it TERMINATING, and delete it once empty", async () => {
    await h.client.createWorkspace({ name: "team" });
    await createProvider("llm", "team");
    expect(await outcome(h.client.deleteWorkspace({ name: "team" }))).toEqual({
      code: "FailedPrecondition",
      message:
        'workspace "team" still contains resources: 1 provider; it is TERMINATING (nothing new can be created in it): delete those and delete the workspace again',
    });
    const { workspace } = await h.client.getWorkspace({ name: "team" });
    expect(workspace?.status?.phase).toBe(WorkspacePhase.TERMINATING);
    expect(workspace?.metadata?.resourceVersion).toBe(2n);
    // A second refused delete changes nothing more.
    expect((await outcome(h.client.deleteWorkspace({ name: "team" }))).code).toBe("FailedPrecondition");
    expect((await h.client.getWorkspace({ name: "team" })).workspace?.metadata?.resourceVersion).toBe(2n);
    expect(await outcome(createProvider("more", "team"))).toEqual({
      code: "FailedPrecondition",
      message:
        'workspace "team" is being deleted (TERMINATING): nothing new can be created in it; delete what it still holds and delete the workspace again, or use another workspace',
    });

    expect(await h.client.deleteProvider({ name: "llm", workspace: "team" })).toMatchObject({
      deleted: true,
    });
    expect(await h.client.deleteWorkspace({ name: "team" })).toMatchObject({ deleted: true });
    expect((await outcome(h.client.getWorkspace({ name: "team" }))).code).toBe("NotFound");
    // The name is free again, for a new workspace that starts ACTIVE.
    const again = await h.client.createWorkspace({ name: "team" });
    expect(again.workspace?.status?.phase).toBe(WorkspacePhase.ACTIVE);
    expect(again.workspace?.metadata?.id).not.toBe(workspace?.metadata?.id);
  });

  it("count every kind of thing a workspace holds: sandboxes, routes, and records of any kind", async () => {
    await h.client.createWorkspace({ name: "team" });
    await createProvider("llm", "team");
    await h.inference.setInferenceRoute({ providerName: "llm", modelId: "m", workspace: "team" });
    h.store.insertSandbox({ id: "sb-1", workspace: "team", name: "web", createdMs: 1, record: {} });
    h.store.insertSandbox({ id: "sb-2", workspace: "team", name: "api", createdMs: 2, record: {} });
    const label = (name: string) => name;
    h.store.records.insert("workload-template", "team", "py", {}, label);
    // Records of another workspace or scoped to a sandbox are not this workspace's.
    h.store.records.insert("workload-template", "default", "py", {}, label);
    h.store.records.insert("draft-chunk", "sb-1", "c1", {}, label);
    expect((await outcome(h.client.deleteWorkspace({ name: "team" }))).message).toContain(
      "still contains resources: 2 sandboxes, 1 provider, 1 inference route, 1 workload template;",
    );

    h.store.markSandboxDeleted("sb-1", 10);
    h.store.markSandboxDeleted("sb-2", 11);
    h.store.records.delete("workload-template", "team", "py");
    // A route outlives the provider it names: it alone still holds the workspace.
    await h.client.deleteProvider({ name: "llm", workspace: "team" });
    expect((await outcome(h.client.deleteWorkspace({ name: "team" }))).message).toContain(
      "still contains resources: 1 inference route;",
    );
    await h.inference.deleteInferenceRoute({ workspace: "team" });
    expect(await h.client.deleteWorkspace({ name: "team" })).toMatchObject({ deleted: true });
  });

  it("keep workspaces, their labels and phase across closing and reopening the store", async () => {
    const { workspace } = await h.client.createWorkspace({ name: "team", labels: { a: "1" } });
    await createProvider("llm", "team");
    await outcome(h.client.deleteWorkspace({ name: "team" }));
    const defaultBefore = (await h.client.getWorkspace({ name: "default" })).workspace;
    h.reopen();
    const after = (await h.client.getWorkspace({ name: "team" })).workspace;
    expect(after?.metadata).toMatchObject({ id: workspace?.metadata?.id, labels: { a: "1" } });
    expect(after?.status?.phase).toBe(WorkspacePhase.TERMINATING);
    expect((await h.client.getWorkspace({ name: "default" })).workspace).toEqual(defaultBefore);
  });

  it("say the caller is the OS user who started the gateway, a platform admin identified as local_dev", async () => {
    const me = await h.client.getCurrentUser({});
    expect(me).toMatchObject({
      subject: userInfo().username,
      displayName: userInfo().username,
      roles: ["admin"],
      scopes: [],
      identityProvider: "local_dev",
    });
  });

  it("list that user as the one ADMIN member of every workspace, and NOT_FOUND for an unknown one", async () => {
    const { workspace } = await h.client.createWorkspace({ name: "team" });
    const { members } = await h.client.listWorkspaceMembers({ workspace: "team" });
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({
      principalSubject: userInfo().username,
      role: WorkspaceRole.ADMIN,
      metadata: { workspace: "team", createdAtMs: workspace?.metadata?.createdAtMs },
    });
    // An empty workspace is `default`, as everywhere.
    expect((await h.client.listWorkspaceMembers({})).members[0]?.metadata?.workspace).toBe("default");
    expect((await h.client.listWorkspaceMembers({ workspace: "team", offset: 1 })).members).toEqual([]);
    expect((await outcome(h.client.listWorkspaceMembers({ workspace: "nope" }))).code).toBe("NotFound");
  });
});
