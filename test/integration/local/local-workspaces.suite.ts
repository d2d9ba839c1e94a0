import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  NotFoundError,
  OpenShell,
  ProtocolError,
} from "../../../src/index.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";
import { IDLE, type LocalKind, leftovers, uniqueName } from "./local-gateway-support.js";
import { workspaceChangeInAnotherProcess } from "./workspace-change-elsewhere.js";

/**
 * Workspaces and the current user in local mode, through `OpenShell.local()` on a real engine: a
 * workspace must be created before anything is made in it, `default` always exists, a delete refuses
 * (and leaves the workspace TERMINATING) while a sandbox is in it, and workspaces outlive the gateway
 * process when its state directory does.
 */
export function describeLocalWorkspaces(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const stateDir = mkdtempSync(join(tmpdir(), `openshell-workspaces-${kind}-`));
  const local = { runtime: kind, runtimeOptions: { endpoint }, stateDir };
  let runtime: ContainerRuntime;
  let os: OpenShell;
  let gatewayId: string;

  beforeAll(async () => {
    runtime = await createRuntime({ runtime: kind, endpoint });
    os = await OpenShell.local(local);
    gatewayId = os.localGateway?.gatewayId ?? "";
  });
  afterAll(async () => {
    await os?.localGateway?.close({ removeSandboxes: true });
    await os?.close();
    if (gatewayId) expect(await leftovers(runtime, gatewayId)).toEqual([]);
    await runtime?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("creates, gets, lists and deletes a workspace; default is always there and cannot be deleted", async () => {
    const name = uniqueName("ws");
    const created = await os.workspaces.create({ name, labels: { team: "a" } });
    expect(created).toMatchObject({ name, labels: { team: "a" }, phase: "active", resourceVersion: 1n });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await os.workspaces.get(name)).toEqual(created);
    expect((await os.workspaces.list({ labels: { team: "a" } })).map((w) => w.name)).toEqual([name]);
    const all = (await os.workspaces.list()).map((w) => w.name);
    expect(all).toEqual(expect.arrayContaining(["default", name]));
    expect(await rejection(os.workspaces.create({ name }))).toBeInstanceOf(AlreadyExistsError);

    const fallback = await rejection(os.workspaces.delete("default"));
    expect(fallback).toBeInstanceOf(FailedPreconditionError);
    expect((fallback as Error).message).toContain('workspace "default" cannot be deleted');
    expect((await os.workspaces.get("default")).phase).toBe("active");

    expect(await os.workspaces.delete(name)).toBe(true);
    expect(await rejection(os.workspaces.get(name))).toBeInstanceOf(NotFoundError);
  });

  it("refuses a sandbox or provider in a workspace never created, saying how to create it", async () => {
    const name = uniqueName("nows");
    for (const call of [
      os.sandboxes.create({ image: testImages.sandbox, command: IDLE, workspace: name }),
      os.providers.create({
        name: "llm",
        type: "openai",
        credentials: { OPENAI_API_KEY: "sk-x" },
        workspace: name,
      }),
    ]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as Error).message).toContain(
        `create it first with os.workspaces.create({ name: "${name}" })`,
      );
    }
    expect(await os.sandboxes.list({ allWorkspaces: true })).toEqual([]);
  });

  it("answers NotFoundError for the lists of a workspace never created, and lists a TERMINATING one's contents", async () => {
    const name = uniqueName("nows");
    for (const list of [
      () => os.sandboxes.list({ workspace: name }),
      () => os.providers.list({ workspace: name }),
      () => os.services.list({ workspace: name }),
      () => os.templates.list({ workspace: name }),
    ]) {
      const err = await rejection(list());
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as Error).message).toContain(
        `workspace "${name}" not found: create it first with os.workspaces.create({ name: "${name}" })`,
      );
    }

    // A workspace being deleted still exists: its lists show what keeps it from going.
    const workspace = uniqueName("ending");
    await os.workspaces.create({ name: workspace });
    await os.templates.create({ name: "kept", image: testImages.sandbox, workspace });
    expect(await rejection(os.workspaces.delete(workspace))).toBeInstanceOf(FailedPreconditionError);
    expect((await os.templates.list({ workspace })).map((t) => t.name)).toEqual(["kept"]);
    expect(await os.sandboxes.list({ workspace })).toEqual([]);
    expect(await os.providers.list({ workspace })).toEqual([]);
    expect(await os.services.list({ workspace })).toEqual([]);
    expect(await os.templates.delete("kept", { workspace })).toBe(true);
    expect(await os.workspaces.delete(workspace)).toBe(true);
  });

  it("creates no sandbox in a workspace another process deletes while the create waits to write", async () => {
    const workspace = uniqueName("raced");
    await os.workspaces.create({ name: workspace });
    // Another process sharing the state directory deletes the workspace and holds its write lock
    // for 3 s before committing: the create's first check still sees the workspace, and its write
    // waits for the lock.
    const other = await workspaceChangeInAnotherProcess(stateDir, workspace, "delete", 3_000);
    const err = await rejection(
      os.sandboxes.create({ name: uniqueName("late"), image: testImages.sandbox, command: IDLE, workspace }),
    );
    await other.done;
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain(`workspace "${workspace}" not found`);
    expect(await os.sandboxes.list({ allWorkspaces: true })).not.toContainEqual(
      expect.objectContaining({ workspace }),
    );
  });

  it("creates no template in a workspace another process deletes while the create waits to write", async () => {
    const workspace = uniqueName("raced");
    await os.workspaces.create({ name: workspace });
    const other = await workspaceChangeInAnotherProcess(stateDir, workspace, "delete", 3_000);
    const err = await rejection(os.templates.create({ name: "late", image: testImages.sandbox, workspace }));
    await other.done;
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain(`workspace "${workspace}" not found`);
    expect(await os.templates.list({ allWorkspaces: true })).not.toContainEqual(
      expect.objectContaining({ workspace }),
    );
  });

  it("publishes no service in a workspace whose delete another process begins while the expose waits to write", async () => {
    const workspace = uniqueName("raced");
    await os.workspaces.create({ name: workspace });
    const sb = await os.sandboxes.create({
      name: uniqueName("svc"),
      image: testImages.sandbox,
      command: IDLE,
      workspace,
    });
    // A delete refused because the sandbox is there leaves the workspace TERMINATING.
    const other = await workspaceChangeInAnotherProcess(stateDir, workspace, "terminate", 3_000);
    const err = await rejection(os.services.expose({ sandbox: sb.name, port: 8080, workspace }));
    await other.done;
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toContain(`workspace "${workspace}" is being deleted (TERMINATING)`);
    expect(await os.services.list({ workspace })).toEqual([]);

    await sb.delete();
    await sb.deleted({ timeoutMs: 60_000 });
    expect(await os.workspaces.delete(workspace)).toBe(true);
  });

  it("refuses to delete a workspace while a sandbox is in it, turning it TERMINATING, and deletes it once the sandbox is gone", async () => {
    const workspace = uniqueName("busy");
    await os.workspaces.create({ name: workspace });
    const sb = await os.sandboxes.create({
      name: uniqueName("in-ws"),
      image: testImages.sandbox,
      command: IDLE,
      workspace,
    });
    await sb.ready({ timeoutMs: 60_000 });

    const refused = await rejection(os.workspaces.delete(workspace));
    expect(refused).toBeInstanceOf(FailedPreconditionError);
    expect((refused as Error).message).toContain(
      `workspace "${workspace}" still contains resources: 1 sandbox;`,
    );
    expect((await os.workspaces.get(workspace)).phase).toBe("terminating");

    // Nothing new goes into a TERMINATING workspace; what is there still works.
    for (const call of [
      os.sandboxes.create({ image: testImages.sandbox, command: IDLE, workspace }),
      os.providers.create({
        name: "llm",
        type: "openai",
        credentials: { OPENAI_API_KEY: "sk-x" },
        workspace,
      }),
    ]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(FailedPreconditionError);
      expect((err as Error).message).toContain("is being deleted (TERMINATING)");
    }
    expect((await sb.exec(["echo", "still here"])).stdout).toBe("still here\n");

    await sb.delete();
    await sb.deleted({ timeoutMs: 60_000 });
    expect(await os.workspaces.delete(workspace)).toBe(true);
    expect(await rejection(os.workspaces.get(workspace))).toBeInstanceOf(NotFoundError);
  });

  it("says the caller is the OS user who started it, admin of every workspace; adding members is refused", async () => {
    const me = await os.workspaces.currentUser();
    expect(me).toEqual({
      subject: userInfo().username,
      displayName: userInfo().username,
      roles: ["admin"],
      scopes: [],
      identityProvider: "local_dev",
    });
    const members = await os.workspaces.listMembers("default");
    expect(members.map(({ subject, role, workspace }) => ({ subject, role, workspace }))).toEqual([
      { subject: me.subject, role: "admin", workspace: "default" },
    ]);
    for (const call of [
      os.workspaces.addMember("default", "alice"),
      os.workspaces.removeMember("default", "alice"),
    ]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as Error).message).toContain("not available in local mode");
      expect((err as Error).message).toContain("a member added here could never act");
    }
  });

  it("keeps workspaces, and a TERMINATING one's phase, across a restart on the same state directory", async () => {
    const kept = uniqueName("kept");
    const created = await os.workspaces.create({ name: kept, labels: { keep: "yes" } });
    const busy = uniqueName("busy");
    await os.workspaces.create({ name: busy });
    await os.providers.create({
      name: "llm",
      type: "openai",
      credentials: { OPENAI_API_KEY: "sk-x" },
      workspace: busy,
    });
    expect(await rejection(os.workspaces.delete(busy))).toBeInstanceOf(FailedPreconditionError);

    await os.close();
    os = await OpenShell.local(local);
    expect(await os.workspaces.get(kept)).toEqual(created);
    expect((await os.workspaces.get(busy)).phase).toBe("terminating");
    await os.providers.delete("llm", { workspace: busy });
    expect(await os.workspaces.delete(busy)).toBe(true);
    expect(await os.workspaces.delete(kept)).toBe(true);
  });
}
