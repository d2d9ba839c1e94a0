import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  NotFoundError,
  OpenShell,
  PermissionDeniedError,
  type ProviderProfileInput,
  UnauthenticatedError,
} from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, testGatewayClient } from "../../support/test-gateway-client.js";

const oidc = {
  users: {
    "admin-token": { subject: "root", roles: ["openshell-admin", "openshell-user"] },
    "alice-token": { subject: "alice", roles: ["openshell-user"] },
  },
};
const acme: ProviderProfileInput = {
  id: "acme",
  displayName: "Acme",
  credentials: [{ name: "ACME_TOKEN", authStyle: "query", queryParam: "key" }],
  endpoints: [{ host: "api.acme.test", port: 443 }],
};

/**
 * A gateway with OIDC roles (SEMANTICS §12-14): what a caller without the platform admin role, or
 * without the workspace admin role, is refused, as the SDK reports it: PermissionDeniedError saying
 * which role is needed and how to get it.
 */
describe("admin-only calls on a gateway with OIDC roles", () => {
  let gateway: TestGateway;
  let admin: OpenShell;
  let alice: OpenShell;
  let close: () => Promise<void>;
  const home = mkdtempSync(join(tmpdir(), "openshell-client-"));

  beforeAll(async () => {
    ({ gateway, os: admin, close } = await testGatewayClient({ oidc }, "admin-token"));
    alice = await OpenShell.connect({
      endpoint: gateway.endpoint,
      tls: { ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key },
      token: "alice-token",
      env: {},
      homeDir: home,
    });
    await admin.workspaces.create({ name: "team" });
    await admin.sandboxes.create({ name: "box", command: ["sleep", "60"] });
  });
  afterAll(async () => {
    await alice?.close();
    await close?.();
    rmSync(home, { recursive: true, force: true });
  });

  /** Each call is PermissionDeniedError whose message contains `needed` and the SDK's next step. */
  async function expectDenied(calls: [string, Promise<unknown>][], needed: string): Promise<void> {
    for (const [what, call] of calls) {
      const err = await rejection(call);
      expect(err, what).toBeInstanceOf(PermissionDeniedError);
      expect((err as Error).message, what).toContain(needed);
      expect((err as Error).message, what).toContain("os.workspaces.currentUser()");
    }
  }

  it("the gateway knows each caller by token; a call without one is UnauthenticatedError", async () => {
    expect(await alice.workspaces.currentUser()).toMatchObject({
      subject: "alice",
      roles: ["openshell-user"],
      identityProvider: "oidc",
    });
    expect((await admin.workspaces.currentUser()).subject).toBe("root");
    const anonymous = await OpenShell.connect({
      endpoint: gateway.endpoint,
      tls: { ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key },
      env: {},
      homeDir: home,
    });
    try {
      expect(await rejection(anonymous.workspaces.currentUser())).toBeInstanceOf(UnauthenticatedError);
    } finally {
      await anonymous.close();
    }
  });

  it("workspace create and delete, platform profiles and the global scope need the platform admin role", async () => {
    await expectDenied(
      [
        ["create workspace", alice.workspaces.create({ name: "mine" })],
        ["delete workspace", alice.workspaces.delete("team")],
        ["import platform profile", alice.providers.profiles.import([acme], { platform: true })],
        [
          "update platform profile",
          alice.providers.profiles.update("acme", acme, { platform: true, expectedResourceVersion: 1n }),
        ],
        ["delete platform profile", alice.providers.profiles.delete("acme", { platform: true })],
        ["set global policy", alice.policy.global.set({ networkPolicies: {} })],
        ["get global policy", alice.policy.global.get()],
        ["delete global policy", alice.policy.global.delete()],
        ["global policy revisions", alice.policy.global.revisions()],
        ["set global setting", alice.policy.settings.setGlobal("mode", "audit")],
        ["delete global setting", alice.policy.settings.deleteGlobal("mode")],
        ["grant workspace ADMIN", alice.workspaces.addMember("team", "bob", { role: "admin" })],
      ],
      "role 'openshell-admin' required",
    );
    // Refused before anything changed.
    expect((await admin.workspaces.list()).map((w) => w.name)).toEqual(["default", "team"]);
    expect(await rejection(admin.providers.profiles.get("acme"))).toBeInstanceOf(NotFoundError);
    expect(await admin.policy.global.get()).toBeUndefined();
    expect((await admin.policy.settings.gateway()).settings).toEqual({});
  });

  it("draft approvals and workspace profile changes need the workspace admin role", async () => {
    const chunk = { id: "c1", reviewToken: "t1" };
    await expectDenied(
      [
        ["approve", alice.policy.drafts.approve("box", chunk)],
        ["approveAll", alice.policy.drafts.approveAll("box", { chunks: [chunk] })],
        ["reject", alice.policy.drafts.reject("box", "c1", { reason: "no" })],
        ["clear", alice.policy.drafts.clear("box")],
        ["import workspace profile", alice.providers.profiles.import([acme])],
        ["add member", alice.workspaces.addMember("team", "bob")],
      ],
      "workspace role 'admin' required in workspace",
    );
    const err = await rejection(alice.providers.profiles.import([acme], { workspace: "team" }));
    expect((err as Error).message).toContain(
      "ask a platform admin to run: openshell workspace member add --workspace 'team' --subject 'alice' --role admin",
    );
  });

  it("a workspace admin may change its profiles and drafts; reads need no admin", async () => {
    await admin.workspaces.addMember("team", "alice", { role: "admin" });
    const imported = await alice.providers.profiles.import([acme], { workspace: "team" });
    expect(imported.imported).toBe(true);
    expect((await alice.providers.profiles.get("acme", { workspace: "team" })).scope).toBe("team");
    expect(await alice.providers.profiles.delete("acme", { workspace: "team" })).toBe(true);
    // Still not a platform admin: the platform scope stays closed.
    expect(await rejection(alice.providers.profiles.import([acme], { platform: true }))).toBeInstanceOf(
      PermissionDeniedError,
    );
    expect((await alice.providers.profiles.list()).map((p) => p.id)).toContain("openai");
    expect((await alice.providers.profiles.lint([acme])).valid).toBe(true);
    // The platform admin is refused nothing.
    expect((await admin.policy.global.set({ networkPolicies: {} })).version).toBe(1);
    expect(await admin.policy.global.delete()).toBe(true);
  });
});
