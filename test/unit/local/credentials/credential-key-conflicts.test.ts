import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FailedPreconditionError } from "../../../../src/errors.js";
import { type Provider, ProviderSchema } from "../../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import {
  activeCredentialKeys,
  checkCredentialKeysUnique,
} from "../../../../src/local/credentials/credential-key-owners.js";
import { harnessPerTest, outcome } from "../handlers/handler-harness.js";

/**
 * Two providers of one sandbox giving the same credential key: upstream's gateway refuses the
 * attach (and the create) that would do it, and a provider update that would, FAILED_PRECONDITION
 * with its words (openshell-server grpc/provider.rs, validate_provider_environment_key_ownership).
 */

const h = harnessPerTest();
const NOW = Date.UTC(2026, 0, 1);

function provider(type: string, credentials: Record<string, string>, expires: Record<string, bigint> = {}) {
  return create(ProviderSchema, { type, credentials, credentialExpiresAtMs: expires }) as Provider;
}

async function createGithub(name: string, credentials: Record<string, string>) {
  await h.client.createProvider({ provider: { metadata: { name }, type: "github", credentials } });
}

describe("credential keys two providers give", () => {
  it("count as upstream counts them: valid names, not refresh material, not expired", () => {
    const p = provider(
      "google-vertex-ai",
      { GOOGLE_SERVICE_ACCOUNT_KEY: "k", "BAD-KEY": "v", OLD: "o", LATER: "l", VERTEX_TOKEN: "t" },
      { OLD: BigInt(NOW - 1), LATER: BigInt(NOW + 1) },
    );
    expect(activeCredentialKeys(p, NOW).sort()).toEqual(["LATER", "VERTEX_TOKEN"]);
    const expired = provider("github", { GITHUB_TOKEN: "x" }, { GITHUB_TOKEN: BigInt(NOW) });
    const live = provider("github", { GITHUB_TOKEN: "y" });
    expect(() =>
      checkCredentialKeysUnique(
        [
          { name: "a", provider: expired },
          { name: "b", provider: live },
        ],
        NOW,
      ),
    ).not.toThrow();
    expect(() =>
      checkCredentialKeysUnique(
        [
          { name: "a", provider: live },
          { name: "b", provider: live },
        ],
        NOW,
      ),
    ).toThrow(FailedPreconditionError);
  });

  it("refuse an attach that would give a sandbox one key from two providers, and leave it as it was", async () => {
    await createGithub("gh-work", { GITHUB_TOKEN: "ghp_work" });
    await createGithub("gh-home", { GITHUB_TOKEN: "ghp_home" });
    h.createSandbox("web", { providers: ["gh-work"] });
    expect(
      await outcome(h.client.attachSandboxProvider({ sandboxName: "web", providerName: "gh-home" })),
    ).toEqual({
      code: "FailedPrecondition",
      message:
        "credential env key 'GITHUB_TOKEN' is provided by both provider 'gh-work' and provider 'gh-home'; use provider-specific env names",
    });
    const attached = await h.client.listSandboxProviders({ sandboxName: "web" });
    expect(attached.providers.map((p) => p.metadata?.name)).toEqual(["gh-work"]);
  });

  it("refuse a provider update that would make an attached provider give another's key, and store nothing", async () => {
    await createGithub("gh-work", { GITHUB_TOKEN: "ghp_work" });
    await createGithub("gh-home", { GH_HOME_TOKEN: "ghp_home" });
    h.createSandbox("web", { providers: ["gh-work", "gh-home"] });
    const current = await h.client.getProvider({ name: "gh-home" });
    const version = current.provider?.metadata?.resourceVersion ?? 0n;
    const update = (credentials: Record<string, string>) =>
      outcome(
        h.client.updateProvider({
          provider: { metadata: { name: "gh-home", resourceVersion: version }, credentials },
        }),
      );
    expect(await update({ GITHUB_TOKEN: "ghp_home" })).toEqual({
      code: "FailedPrecondition",
      message:
        "provider update would create credential env key conflict on sandbox 'web': credential env key 'GITHUB_TOKEN' is provided by both provider 'gh-work' and provider 'gh-home'; use provider-specific env names",
    });
    const after = await h.client.getProvider({ name: "gh-home" });
    expect(Object.keys(after.provider?.credentials ?? {})).toEqual(["GH_HOME_TOKEN"]);
    expect(after.provider?.metadata?.resourceVersion).toBe(version);
    // A key of its own is fine, and a provider no sandbox has may take any key.
    expect((await update({ GH_HOME_TOKEN_2: "x" })).code).toBe("OK");
  });
});
