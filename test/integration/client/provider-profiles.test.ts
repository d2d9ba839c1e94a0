import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type OpenShell,
} from "../../../src/index.js";
import type { TestGateway } from "../../support/test-gateway/index.js";
import { rejection, useTestGatewayClient } from "../../support/test-gateway-client.js";

const refreshToken = "rt-5ecret-refresh-token-value";
const clientSecret = "cs-5ecret-client-secret-value";

/** `os.providers.profiles` and `os.providers.refresh` end to end over real HTTP/2 and mTLS. */
describe("os.providers.profiles and os.providers.refresh", () => {
  let gateway: TestGateway;
  let os: OpenShell;
  useTestGatewayClient(async (client) => {
    ({ gateway, os } = client);
    await os.providers.create({
      name: "gh",
      type: "github",
      credentials: { GITHUB_TOKEN: "ghp-5ecret-initial-token" },
    });
  });

  it("get returns a built-in profile with its credentials and endpoints", async () => {
    const openai = await os.providers.profiles.get("openai");
    expect(openai).toMatchObject({
      id: "openai",
      displayName: "OpenAI",
      category: "inference",
      inferenceCapable: true,
      source: "builtin",
      scope: "platform",
      endpoints: ["api.openai.com:443"],
    });
    expect(openai.credentials.map((c) => c.name)).toEqual(["OPENAI_API_KEY", "OPENAI_BASE_URL"]);
    expect(openai.credentials[0]).toMatchObject({ required: true, envVars: ["OPENAI_API_KEY"] });
  });

  it("list pages with limit and offset and listAll walks every page", async () => {
    const all = await os.providers.profiles.list();
    expect(all.map((p) => p.id)).toEqual(["anthropic", "github", "nvidia", "openai"]);
    const second = await os.providers.profiles.list({ limit: 2, offset: 2 });
    expect(second.map((p) => p.id)).toEqual(["nvidia", "openai"]);
    const walked: string[] = [];
    for await (const p of os.providers.profiles.listAll({ limit: 3 })) walked.push(p.id);
    expect(walked).toEqual(all.map((p) => p.id));
  });

  it("get of an unknown profile throws NotFoundError naming it", async () => {
    const err = await rejection(os.providers.profiles.get("no-such-type"));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain("no-such-type");
  });

  it("configure stores a refresh without minting, and status reports it", async () => {
    const expiresAt = new Date(Date.now() + 600_000);
    const configured = await os.providers.refresh.configure({
      provider: "gh",
      credentialKey: "GITHUB_TOKEN",
      strategy: "oauth2-refresh-token",
      material: { token_url: "https://github.com/login/oauth/access_token", refresh_token: refreshToken },
      secretMaterialKeys: ["refresh_token"],
      expiresAt,
    });
    expect(configured).toMatchObject({
      providerName: "gh",
      credentialKey: "GITHUB_TOKEN",
      strategy: "oauth2-refresh-token",
      status: "configured",
      lastError: "",
    });
    expect(configured.expiresAt?.getTime()).toBe(expiresAt.getTime());
    expect(configured.lastRefreshAt).toBeUndefined();
    // Not minted: the provider still holds the credential it was created with.
    expect(gateway.state.provider("gh", "default")?.credentials.GITHUB_TOKEN).toBe(
      "ghp-5ecret-initial-token",
    );
    const statuses = await os.providers.refresh.status("gh");
    expect(statuses).toEqual([configured]);
    expect(inspect(statuses, { depth: 8 })).not.toContain(refreshToken);
  });

  it("rotate mints now: a new credential, its expiry and the next refresh", async () => {
    const before = Date.now();
    const rotated = await os.providers.refresh.rotate("gh", "GITHUB_TOKEN");
    expect(rotated.status).toBe("active");
    expect(rotated.lastRefreshAt?.getTime()).toBeGreaterThanOrEqual(before);
    expect(rotated.expiresAt?.getTime()).toBeGreaterThan(rotated.nextRefreshAt?.getTime() ?? Infinity);
    const minted = gateway.state.provider("gh", "default")?.credentials.GITHUB_TOKEN ?? "";
    expect(minted).not.toBe("ghp-5ecret-initial-token");
    // Nothing the SDK returns carries a credential, old or new.
    const printed = inspect([rotated, await os.providers.get("gh")], { depth: 8 });
    expect(printed).not.toContain(minted);
    expect(printed).not.toContain("ghp-5ecret-initial-token");
  });

  it("rotate of a key without refresh is FailedPreconditionError; delete resolves whether one existed", async () => {
    await os.providers.create({
      name: "plain",
      type: "github",
      credentials: { GITHUB_TOKEN: "t0k3n-plain" },
    });
    expect(await rejection(os.providers.refresh.rotate("plain", "GITHUB_TOKEN"))).toBeInstanceOf(
      FailedPreconditionError,
    );
    expect(await os.providers.refresh.delete("plain", "GITHUB_TOKEN")).toBe(false);
    expect(await os.providers.refresh.delete("gh", "GITHUB_TOKEN")).toBe(true);
    expect(await os.providers.refresh.status("gh")).toEqual([]);
  });

  it("refresh calls on a missing provider throw NotFoundError", async () => {
    for (const call of [
      os.providers.refresh.status("ghost"),
      os.providers.refresh.rotate("ghost", "GITHUB_TOKEN"),
      os.providers.refresh.delete("ghost", "GITHUB_TOKEN"),
      os.providers.refresh.configure({
        provider: "ghost",
        credentialKey: "GITHUB_TOKEN",
        strategy: "oauth2-client-credentials",
        material: { token_url: "https://example.test/token", client_id: "id", client_secret: clientSecret },
      }),
    ]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as Error).message).toContain("ghost");
    }
  });

  it("a gateway rejection quoting material reaches the user without it", async () => {
    const roleArn = "5ecret-role-not-an-arn";
    const err = await rejection(
      os.providers.refresh.configure({
        provider: "gh",
        credentialKey: "GITHUB_TOKEN",
        strategy: "aws-sts-assume-role",
        material: { role_arn: roleArn },
      }),
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain("role_arn");
    expect(inspect(err, { depth: 8 })).not.toContain(roleArn);
  });

  it("bad inputs are refused naming the field, before any request", async () => {
    const calls = gateway.state.calls.length;
    const cases: [string, Promise<unknown>][] = [
      ["id", os.providers.profiles.get("Not_Kebab")],
      ["limit", os.providers.profiles.list({ limit: -1 })],
      ["provider", os.providers.refresh.status("")],
      ["credentialKey", os.providers.refresh.rotate("gh", "1BAD")],
      ["credentialKey", os.providers.refresh.delete("gh", "")],
      [
        "strategy",
        os.providers.refresh.configure({
          provider: "gh",
          credentialKey: "GITHUB_TOKEN",
          // "static" mints nothing: it cannot be configured (SEMANTICS §14).
          strategy: "static" as "aws-sts-assume-role",
          material: { role_arn: "arn:aws:iam::1:role/x" },
        }),
      ],
      [
        "material",
        os.providers.refresh.configure({
          provider: "gh",
          credentialKey: "GITHUB_TOKEN",
          strategy: "oauth2-refresh-token",
          material: {},
        }),
      ],
      [
        "secretMaterialKeys",
        os.providers.refresh.configure({
          provider: "gh",
          credentialKey: "GITHUB_TOKEN",
          strategy: "oauth2-client-credentials",
          material: { client_secret: clientSecret },
          secretMaterialKeys: ["client_secrte"],
        }),
      ],
    ];
    for (const [field, call] of cases) {
      const err = await rejection(call);
      expect(err, field).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field, field).toBe(field);
      expect(inspect(err, { depth: 8 })).not.toContain(clientSecret);
    }
    expect(gateway.state.calls.length).toBe(calls);
  });
});
