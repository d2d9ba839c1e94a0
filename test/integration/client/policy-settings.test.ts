import { describe, expect, it } from "vitest";
import { InvalidArgumentError, NotFoundError, type OpenShell } from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, useTestGatewayClient } from "../../support/test-gateway-client.js";

/** `os.policy.settings` end to end over real HTTP/2 and mTLS: sandbox and global scope. */
describe("os.policy.settings", () => {
  let gateway: TestGateway;
  let os: OpenShell;
  useTestGatewayClient(async (client) => {
    ({ gateway, os } = client);
    await os.sandboxes.create({ name: "box", command: ["sleep", "60"] });
  });

  it("set stores each kind of value and get reads it back at sandbox scope", async () => {
    const first = await os.policy.settings.set("box", "mode", "strict");
    await os.policy.settings.set("box", "verbose", true);
    await os.policy.settings.set("box", "retries", 3);
    const last = await os.policy.settings.set("box", "blob", new Uint8Array([1, 2, 3]));
    expect(last.settingsRevision).toBe(first.settingsRevision + 3n);
    const { settings, configRevision } = await os.policy.settings.get("box");
    expect(settings).toEqual({
      mode: { value: "strict", scope: "sandbox" },
      verbose: { value: true, scope: "sandbox" },
      retries: { value: 3n, scope: "sandbox" },
      blob: { value: new Uint8Array([1, 2, 3]), scope: "sandbox" },
    });
    expect(configRevision).toBeGreaterThan(0n);
  });

  it("delete removes a setting and resolves whether it was set", async () => {
    expect(await os.policy.settings.delete("box", "blob")).toBe(true);
    expect(await os.policy.settings.delete("box", "blob")).toBe(false);
    expect((await os.policy.settings.get("box")).settings.blob).toBeUndefined();
  });

  it("a global setting is listed by gateway() and wins over the sandbox's own value", async () => {
    const set = await os.policy.settings.setGlobal("mode", "audit");
    const gw = await os.policy.settings.gateway();
    expect(gw).toEqual({ settings: { mode: "audit" }, settingsRevision: set.settingsRevision });
    expect((await os.policy.settings.get("box")).settings.mode).toEqual({ value: "audit", scope: "global" });
    expect(await os.policy.settings.deleteGlobal("mode")).toBe(true);
    expect(await os.policy.settings.deleteGlobal("mode")).toBe(false);
    expect((await os.policy.settings.gateway()).settings).toEqual({});
    // With the global value gone, the sandbox's own applies again.
    expect((await os.policy.settings.get("box")).settings.mode).toEqual({
      value: "strict",
      scope: "sandbox",
    });
  });

  it("settings of a missing sandbox throw NotFoundError naming it", async () => {
    for (const call of [
      os.policy.settings.get("ghost"),
      os.policy.settings.set("ghost", "mode", "x"),
      os.policy.settings.delete("ghost", "mode"),
    ]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as Error).message).toContain("ghost");
    }
  });

  it("bad inputs are refused naming the field, before any request", async () => {
    const calls = gateway.state.calls.length;
    const cases: [string, Promise<unknown>][] = [
      ["sandbox", os.policy.settings.get("Bad_Name")],
      ["key", os.policy.settings.set("box", "", "x")],
      ["key", os.policy.settings.deleteGlobal("has space")],
      ["value", os.policy.settings.set("box", "n", 1.5)],
      ["value", os.policy.settings.setGlobal("n", 2n ** 64n)],
      ["value", os.policy.settings.set("box", "n", null as unknown as string)],
      ["workspace", os.policy.settings.delete("box", "mode", { workspace: "" })],
    ];
    for (const [field, call] of cases) {
      const err = await rejection(call);
      expect(err, field).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field, field).toBe(field);
    }
    expect(gateway.state.calls.length).toBe(calls);
  });
});
