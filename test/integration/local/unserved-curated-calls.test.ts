import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, ProtocolError } from "../../../src/index.js";
import { dockerTestEndpoint } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";

/**
 * The curated APIs of what local mode does not serve (services, workspaces, the policy advisor,
 * provider profiles, credential refresh, the global settings scope) reject in local mode's own
 * words, naming what to use instead, never as a gateway that is too old. One local gateway on
 * Docker: the answers come from the gateway, not the engine.
 */
describe("curated calls local mode does not serve", () => {
  let os: OpenShell;

  beforeAll(async () => {
    os = await OpenShell.local({
      runtime: "docker",
      runtimeOptions: { endpoint: dockerTestEndpoint },
      ephemeral: true,
    });
  });
  afterAll(async () => {
    await os?.close();
  });

  /** Every call rejects with ProtocolError saying it is not available in local mode, and `hint` when given. */
  async function expectRefused(calls: [string, Promise<unknown>][], hint?: string): Promise<void> {
    for (const [what, call] of calls) {
      const err = await rejection(call);
      expect(err, what).toBeInstanceOf(ProtocolError);
      expect((err as Error).message, what).toContain("not available in local mode");
      if (hint !== undefined) expect((err as Error).message, what).toContain(hint);
      expect((err as Error).message, what).not.toContain("older than this SDK");
    }
  }

  it("os.services and os.workspaces: every call", async () => {
    await expectRefused([
      ["expose", os.services.expose({ sandbox: "web", port: 8080 })],
      ["get service", os.services.get("web", "ui")],
      ["list services", os.services.list()],
      ["delete service", os.services.delete("web", "ui")],
      ["create workspace", os.workspaces.create({ name: "team" })],
      ["get workspace", os.workspaces.get("team")],
      ["list workspaces", os.workspaces.list()],
      ["delete workspace", os.workspaces.delete("team")],
      ["add member", os.workspaces.addMember("team", "alice")],
      ["remove member", os.workspaces.removeMember("team", "alice")],
      ["list members", os.workspaces.listMembers("team")],
      ["current user", os.workspaces.currentUser()],
    ]);
  });

  it("os.policy.drafts: every call, pointing at os.policy.update()", async () => {
    const chunk = { id: "c1", reviewToken: "t1" };
    await expectRefused(
      [
        ["get", os.policy.drafts.get("web")],
        ["approve", os.policy.drafts.approve("web", chunk)],
        ["reject", os.policy.drafts.reject("web", "c1", { reason: "no" })],
        ["approveAll", os.policy.drafts.approveAll("web", { chunks: [chunk] })],
        ["edit", os.policy.drafts.edit("web", "c1", { name: "r" })],
        ["undo", os.policy.drafts.undo("web", "c1")],
        ["clear", os.policy.drafts.clear("web")],
        ["history", os.policy.drafts.history("web")],
        ["watch", os.policy.drafts.watch("web", { intervalMs: 100 }).next()],
      ],
      "os.policy.update()",
    );
  });

  it("provider profiles, credential refresh and the global settings scope: every call", async () => {
    await expectRefused([
      ["list profiles", os.providers.profiles.list()],
      ["get profile", os.providers.profiles.get("openai")],
      ["refresh status", os.providers.refresh.status("gh")],
      [
        "configure refresh",
        os.providers.refresh.configure({
          provider: "gh",
          credentialKey: "GITHUB_TOKEN",
          strategy: "oauth2-refresh-token",
          material: { refresh_token: "rt" },
        }),
      ],
      ["rotate", os.providers.refresh.rotate("gh", "GITHUB_TOKEN")],
      ["delete refresh", os.providers.refresh.delete("gh", "GITHUB_TOKEN")],
      ["set global setting", os.policy.settings.setGlobal("mode", "audit")],
      ["delete global setting", os.policy.settings.deleteGlobal("mode")],
    ]);
    // What to use instead of the gateway-wide settings: a sandbox's own effective ones.
    await expectRefused([["gateway settings", os.policy.settings.gateway()]], "GetSandboxConfig");
  });
});
