import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, ProtocolError } from "../../../src/index.js";
import { dockerTestEndpoint } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";

/**
 * Local mode has no gateway to publish ports on and no tenancy: `os.services` and `os.workspaces`
 * reject with the SDK's error in local mode's own words, never as a gateway that is too old.
 */
describe("os.services and os.workspaces in local mode", () => {
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
    ];
    for (const [what, call] of calls) {
      const err = await rejection(call);
      expect(err, what).toBeInstanceOf(ProtocolError);
      expect((err as Error).message, what).toContain("not available in local mode");
      expect((err as Error).message, what).not.toContain("older than this SDK");
    }
  });
});
