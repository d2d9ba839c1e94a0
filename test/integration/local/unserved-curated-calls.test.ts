import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, ProtocolError } from "../../../src/index.js";
import { dockerTestEndpoint } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";

/**
 * The curated APIs of what local mode does not serve (workspace members, provider profiles,
 * credential refresh, the global settings scope) reject in local mode's own
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

  it("os.workspaces: adding and removing members (local mode authenticates no one but its user)", async () => {
    await expectRefused(
      [
        ["add member", os.workspaces.addMember("default", "alice")],
        ["remove member", os.workspaces.removeMember("default", "alice")],
      ],
      "a member added here could never act",
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

  it("provider profile administration and the global policy: every call", async () => {
    await expectRefused(
      [
        ["import profiles", os.providers.profiles.import([{ id: "acme", displayName: "Acme" }])],
        [
          "update profile",
          os.providers.profiles.update("acme", { id: "acme" }, { expectedResourceVersion: 1n }),
        ],
        ["lint profiles", os.providers.profiles.lint([{ id: "acme" }])],
        ["delete profile", os.providers.profiles.delete("acme", { platform: true })],
      ],
      "manage provider profiles on an OpenShell gateway",
    );
    await expectRefused(
      [
        ["set global policy", os.policy.global.set({ networkPolicies: {} })],
        ["get global policy", os.policy.global.get()],
        ["delete global policy", os.policy.global.delete()],
        ["global policy status", os.policy.global.status()],
        ["global policy revisions", os.policy.global.revisions()],
      ],
      "update each sandbox's policy and settings by name",
    );
  });
});
