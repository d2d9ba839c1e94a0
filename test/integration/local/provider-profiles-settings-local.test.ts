import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, ProtocolError } from "../../../src/index.js";
import { dockerTestEndpoint } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";

/**
 * Local mode has no provider profiles, no credential refresh and no gateway-wide settings:
 * `os.providers.profiles`, `os.providers.refresh` and `os.policy.settings.gateway()` reject in local
 * mode's own words, never as a gateway that is too old.
 */
describe("provider profiles, credential refresh and gateway settings in local mode", () => {
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

  it("every call rejects saying it is not available in local mode", async () => {
    const calls: [string, Promise<unknown>][] = [
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
      ["gateway settings", os.policy.settings.gateway()],
      ["set global setting", os.policy.settings.setGlobal("mode", "audit")],
      ["delete global setting", os.policy.settings.deleteGlobal("mode")],
    ];
    for (const [what, call] of calls) {
      const err = await rejection(call);
      expect(err, what).toBeInstanceOf(ProtocolError);
      expect((err as Error).message, what).toContain("not available in local mode");
      expect((err as Error).message, what).not.toContain("older than this SDK");
    }
    // What to use instead: a sandbox's own effective settings.
    const err = await rejection(os.policy.settings.gateway());
    expect((err as Error).message).toContain("GetSandboxConfig");
  });
});
