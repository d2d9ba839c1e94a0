import { describe, expect, it } from "vitest";
import {
  ConflictError,
  FailedPreconditionError,
  formatProfileDiagnostics,
  InvalidArgumentError,
  NotFoundError,
  type OpenShell,
  type ProviderProfileInput,
} from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, useTestGatewayClient } from "../../support/test-gateway-client.js";

const acme: ProviderProfileInput = {
  id: "acme",
  displayName: "Acme",
  description: "Acme's API",
  category: "data",
  credentials: [
    {
      name: "ACME_TOKEN",
      envVars: ["ACME_TOKEN"],
      required: true,
      authStyle: "bearer",
      headerName: "Authorization",
    },
  ],
  endpoints: [{ host: "api.acme.test", port: 443 }],
  binaries: [{ path: "/usr/bin/curl" }],
  origin: "profiles/acme.yaml",
};

/** Provider profile administration (SEMANTICS §14) end to end over real HTTP/2 and mTLS. */
describe("os.providers.profiles import, update, lint and delete", () => {
  let gateway: TestGateway;
  let os: OpenShell;
  useTestGatewayClient((client) => {
    ({ gateway, os } = client);
  });

  it("lint returns the gateway's problems as data and stores nothing", async () => {
    const broken: ProviderProfileInput = {
      id: "broken",
      origin: "broken.yaml",
      credentials: [{ name: "TOKEN", authStyle: "query" }],
      endpoints: [{ host: "", port: 443 }],
    };
    const linted = await os.providers.profiles.lint([broken]);
    expect(linted.valid).toBe(false);
    expect(linted.diagnostics).toEqual(
      expect.arrayContaining([
        {
          origin: "broken.yaml",
          profileId: "broken",
          field: "display_name",
          message: "display_name is required",
          severity: "error",
        },
        expect.objectContaining({
          field: "credentials.query_param",
          message: "query_param is required for query auth",
        }),
        expect.objectContaining({ field: "endpoints[0]" }),
      ]),
    );
    expect(formatProfileDiagnostics(linted.diagnostics)).toContain(
      "broken.yaml: broken.display_name: display_name is required (error)",
    );
    expect(await os.providers.profiles.lint([acme])).toEqual({ valid: true, diagnostics: [] });
    expect(await rejection(os.providers.profiles.get("broken"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(os.providers.profiles.get("acme"))).toBeInstanceOf(NotFoundError);
  });

  it("import stores the profiles in the client's workspace, all or none", async () => {
    const none = await os.providers.profiles.import([acme, { id: "half", displayName: "" }]);
    expect(none).toMatchObject({ imported: false, profiles: [] });
    expect(none.diagnostics.map((d) => [d.profileId, d.field])).toEqual([["half", "display_name"]]);
    expect(await rejection(os.providers.profiles.get("acme"))).toBeInstanceOf(NotFoundError);

    const done = await os.providers.profiles.import([acme]);
    expect(done.imported).toBe(true);
    expect(done.diagnostics).toEqual([]);
    expect(done.profiles).toHaveLength(1);
    const got = await os.providers.profiles.get("acme");
    expect(got).toEqual(done.profiles[0]);
    expect(got).toMatchObject({
      id: "acme",
      displayName: "Acme",
      category: "data",
      source: "user",
      scope: "default",
      resourceVersion: 1n,
      endpoints: ["api.acme.test:443"],
    });
    expect(got.credentials).toEqual([
      { name: "ACME_TOKEN", description: "", envVars: ["ACME_TOKEN"], required: true, authStyle: "bearer" },
    ]);
    expect((await os.providers.profiles.list()).map((p) => p.id)).toContain("acme");
  });

  it("import of a built-in or existing id is refused as a diagnostic naming its origin", async () => {
    const res = await os.providers.profiles.import([
      { ...acme, origin: "again.yaml" },
      { ...acme, id: "openai", origin: "openai.yaml" },
    ]);
    expect(res.imported).toBe(false);
    expect(res.diagnostics).toEqual([
      {
        origin: "again.yaml",
        profileId: "acme",
        field: "id",
        message: "custom provider profile 'acme' already exists",
        severity: "error",
      },
      {
        origin: "openai.yaml",
        profileId: "openai",
        field: "id",
        message: "provider profile 'openai' is built-in and cannot be overwritten",
        severity: "error",
      },
    ]);
  });

  it("platform scope: a profile imported there is seen from every workspace", async () => {
    const res = await os.providers.profiles.import([{ ...acme, id: "shared", displayName: "Shared" }], {
      platform: true,
    });
    expect(res.imported).toBe(true);
    expect(res.profiles[0]?.scope).toBe("platform");
    expect((await os.providers.profiles.get("shared", { workspace: "team-a" })).scope).toBe("platform");
    expect(await os.providers.profiles.delete("shared", { platform: true })).toBe(true);
    expect(await rejection(os.providers.profiles.get("shared"))).toBeInstanceOf(NotFoundError);
  });

  it("update replaces the profile at the current version; a stale version is ConflictError", async () => {
    const current = await os.providers.profiles.get("acme");
    const res = await os.providers.profiles.update(
      "acme",
      { ...acme, displayName: "Acme v2" },
      { expectedResourceVersion: current.resourceVersion },
    );
    expect(res).toMatchObject({ updated: true, diagnostics: [] });
    expect(res.profile).toMatchObject({
      displayName: "Acme v2",
      resourceVersion: current.resourceVersion + 1n,
    });
    expect((await os.providers.profiles.get("acme")).displayName).toBe("Acme v2");

    const stale = await rejection(
      os.providers.profiles.update("acme", acme, { expectedResourceVersion: current.resourceVersion }),
    );
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as Error).message).toContain("read it again and retry");
    expect((await os.providers.profiles.get("acme")).displayName).toBe("Acme v2");
  });

  it("update of a built-in, a missing or a mismatched profile comes back as diagnostics", async () => {
    const builtin = await os.providers.profiles.update(
      "openai",
      { ...acme, id: "openai" },
      { expectedResourceVersion: 1n },
    );
    expect(builtin.updated).toBe(false);
    expect(builtin.profile).toBeUndefined();
    expect(builtin.diagnostics.map((d) => d.message)).toContain(
      "provider profile 'openai' is built-in and cannot be updated",
    );
    const missing = await os.providers.profiles.update(
      "ghost",
      { ...acme, id: "ghost" },
      { expectedResourceVersion: 1n },
    );
    expect(missing.diagnostics.map((d) => d.message).join("\n")).toContain(
      "custom provider profile 'ghost' does not exist",
    );
    const mismatched = await os.providers.profiles.update(
      "acme",
      { ...acme, id: "other" },
      { expectedResourceVersion: 2n },
    );
    expect(mismatched.updated).toBe(false);
    expect(mismatched.diagnostics.map((d) => d.message)).toContain(
      "provider profile update target 'acme' does not match payload id 'other'",
    );
  });

  it("delete: a profile in use or built in is FailedPreconditionError; a missing one NotFoundError", async () => {
    await os.providers.create({ name: "acme-prod", type: "acme", credentials: { ACME_TOKEN: "t0k3n" } });
    await os.sandboxes.create({ name: "uses-acme", command: ["sleep", "60"], providers: ["acme-prod"] });
    const inUse = await rejection(os.providers.profiles.delete("acme"));
    expect(inUse).toBeInstanceOf(FailedPreconditionError);
    expect((inUse as Error).message).toContain("in use by sandboxes: uses-acme");
    const builtin = await rejection(os.providers.profiles.delete("openai"));
    expect(builtin).toBeInstanceOf(FailedPreconditionError);
    expect((builtin as Error).message).toContain("built-in");

    await os.sandboxes.delete("uses-acme");
    await os.sandboxes.deleted("uses-acme", { timeoutMs: 10_000 });
    expect(await os.providers.profiles.delete("acme")).toBe(true);
    const missing = await rejection(os.providers.profiles.delete("acme"));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toContain('"acme"');
  });

  it("bad inputs are refused naming the field, before any request", async () => {
    const calls = gateway.state.calls.length;
    const bad = (patch: Record<string, unknown>) => ({ ...acme, ...patch }) as ProviderProfileInput;
    const cases: [string, Promise<unknown>][] = [
      ["profiles", os.providers.profiles.import([])],
      ["profiles.0.id", os.providers.profiles.import([bad({ id: "Not_Kebab" })])],
      ["profiles.0.category", os.providers.profiles.lint([bad({ category: "bogus" })])],
      [
        "profiles.0.credentials.0.name",
        os.providers.profiles.import([bad({ credentials: [{ name: "1X" }] })]),
      ],
      [
        "profiles.0.credentials.0.refresh.strategy",
        os.providers.profiles.import([bad({ credentials: [{ name: "X", refresh: { strategy: "magic" } }] })]),
      ],
      [
        "profiles.0.endpoints.0.port",
        os.providers.profiles.lint([bad({ endpoints: [{ host: "h", port: "443" }] })]),
      ],
      ["profiles.0.displayname", os.providers.profiles.import([bad({ displayname: "typo" })])],
      ["id", os.providers.profiles.delete("")],
      [
        "profile.id",
        os.providers.profiles.update("acme", bad({ id: "UPPER" }), { expectedResourceVersion: 1n }),
      ],
      [
        "expectedResourceVersion",
        os.providers.profiles.update("acme", acme, {} as { expectedResourceVersion: bigint }),
      ],
      ["platform", os.providers.profiles.delete("acme", { workspace: "team-a", platform: true })],
    ];
    for (const [field, call] of cases) {
      const err = await rejection(call);
      expect(err, field).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field, field).toBe(field);
    }
    expect(gateway.state.calls.length).toBe(calls);
  });
});
