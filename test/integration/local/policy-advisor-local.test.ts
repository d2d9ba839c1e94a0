import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, ProtocolError } from "../../../src/index.js";
import { dockerTestEndpoint } from "../../support/test-engines.js";
import { rejection } from "../../support/test-gateway-client.js";

/**
 * Local mode has no policy advisor yet (nothing turns denials into draft chunks): `os.policy.drafts`
 * rejects in local mode's own words, never as a gateway that is too old.
 */
describe("os.policy.drafts in local mode", () => {
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
    const chunk = { id: "c1", reviewToken: "t1" };
    const calls: [string, Promise<unknown>][] = [
      ["get", os.policy.drafts.get("web")],
      ["approve", os.policy.drafts.approve("web", chunk)],
      ["reject", os.policy.drafts.reject("web", "c1", { reason: "no" })],
      ["approveAll", os.policy.drafts.approveAll("web", { chunks: [chunk] })],
      ["edit", os.policy.drafts.edit("web", "c1", { name: "r" })],
      ["undo", os.policy.drafts.undo("web", "c1")],
      ["clear", os.policy.drafts.clear("web")],
      ["history", os.policy.drafts.history("web")],
      ["watch", os.policy.drafts.watch("web", { intervalMs: 100 }).next()],
    ];
    for (const [what, call] of calls) {
      const err = await rejection(call);
      expect(err, what).toBeInstanceOf(ProtocolError);
      expect((err as Error).message, what).toContain("not available in local mode");
      expect((err as Error).message, what).toContain("os.policy.update()");
      expect((err as Error).message, what).not.toContain("older than this SDK");
    }
  });
});
