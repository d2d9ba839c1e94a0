import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FailedPreconditionError, InvalidArgumentError } from "../../../../src/errors.js";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { checkPolicyCredentialBindings } from "../../../../src/local/credentials/policy-credential-bindings.js";
import { harnessPerTest, outcome } from "../handlers/handler-harness.js";

/**
 * A policy `credential_binding` upstream's gateway refuses is refused by local mode at the same
 * calls (UpdateConfig, Attach/DetachSandboxProvider; CreateSandbox in the integration suite), with
 * upstream's status code and words (openshell-server grpc/policy.rs), after the field's path.
 */

type PolicyInit = MessageInitShape<typeof SandboxPolicySchema>;

const h = harnessPerTest();

/** One rule whose endpoint binds `provider`'s credentials to it. */
function bindingPolicy(provider: string, endpoint: { host?: string; port?: number } = {}): PolicyInit {
  return {
    networkPolicies: {
      store: {
        name: "store",
        endpoints: [
          {
            host: endpoint.host ?? "minio.test",
            port: endpoint.port ?? 9000,
            credentialBinding: { provider },
          },
        ],
      },
    },
  };
}

const AT = 'policy.network_policies["store"].endpoints[0]';

async function providers(): Promise<void> {
  await h.client.createProvider({
    provider: {
      metadata: { name: "cloud" },
      type: "aws",
      credentials: { AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s3cr3t-value" },
    },
  });
  await h.client.createProvider({
    provider: { metadata: { name: "gh" }, type: "github", credentials: { GITHUB_TOKEN: "ghp_x" } },
  });
  await h.client.createProvider({
    provider: { metadata: { name: "llm" }, type: "openai", credentials: { OPENAI_API_KEY: "sk-x" } },
  });
}

describe("credential_binding refusals", () => {
  it("UpdateConfig refuses a malformed binding INVALID_ARGUMENT and a binding the providers cannot take FAILED_PRECONDITION, storing nothing", async () => {
    await providers();
    h.createSandbox("web", { providers: ["cloud", "gh", "llm"] });
    const update = (policy: PolicyInit) => outcome(h.client.updateConfig({ name: "web", policy }));

    expect(await update(bindingPolicy(""))).toEqual({
      code: "InvalidArgument",
      message: `${AT}.credential_binding.provider: credential_binding.provider is required for endpoint 'minio.test'`,
    });
    expect(await update(bindingPolicy(" cloud"))).toEqual({
      code: "InvalidArgument",
      message: `${AT}.credential_binding.provider: credential_binding.provider ' cloud' must not contain leading or trailing whitespace`,
    });
    expect(await update(bindingPolicy("cloud", { port: 0 }))).toEqual({
      code: "InvalidArgument",
      message: `${AT}.port: credential-bound endpoint 'minio.test' for provider 'cloud' must define ports in range 1..=65535`,
    });
    expect(await update(bindingPolicy("nobody"))).toEqual({
      code: "FailedPrecondition",
      message: `${AT}.credential_binding.provider: credential_binding references provider 'nobody', but that provider is not attached to the sandbox`,
    });
    expect(await update(bindingPolicy("llm"))).toEqual({
      code: "FailedPrecondition",
      message: `${AT}.credential_binding.provider: credential_binding provider 'llm' has no provider profile`,
    });
    expect(await update(bindingPolicy("gh"))).toEqual({
      code: "FailedPrecondition",
      message: `${AT}.credential_binding.provider: credential_binding provider 'gh' profile already defines endpoints; profile endpoints remain the credential boundary`,
    });
    // None of them became a revision: the sandbox still has only its create-time one.
    const { revisions } = await h.client.listSandboxPolicies({ name: "web" });
    expect(revisions.map((r) => r.version)).toEqual([1]);

    expect((await update(bindingPolicy("cloud"))).code).toBe("OK");
    const after = await h.client.listSandboxPolicies({ name: "web" });
    expect(after.revisions.map((r) => r.version)).toEqual([2, 1]);
  });

  it("refuses detaching a provider the policy binds; a binding to a provider not attached yet waits for the attach", async () => {
    await providers();
    h.createSandbox("web", { providers: ["cloud"], policy: bindingPolicy("cloud") });

    expect(
      await outcome(h.client.detachSandboxProvider({ sandboxName: "web", providerName: "cloud" })),
    ).toEqual({
      code: "FailedPrecondition",
      message: `${AT}.credential_binding.provider: credential_binding references provider 'cloud', but that provider is not attached to the sandbox`,
    });
    expect(
      (await h.client.listSandboxProviders({ sandboxName: "web" })).providers.map((p) => p.metadata?.name),
    ).toEqual(["cloud"]);

    // A binding naming a provider not attached yet: the policy update is refused, so attach first.
    h.createSandbox("api", { providers: ["gh"] });
    expect((await outcome(h.client.updateConfig({ name: "api", policy: bindingPolicy("cloud") }))).code).toBe(
      "FailedPrecondition",
    );
    expect(
      (await outcome(h.client.attachSandboxProvider({ sandboxName: "api", providerName: "cloud" }))).code,
    ).toBe("OK");
    expect((await outcome(h.client.updateConfig({ name: "api", policy: bindingPolicy("cloud") }))).code).toBe(
      "OK",
    );
    // Detaching a provider no binding names is still fine.
    expect(
      (await outcome(h.client.detachSandboxProvider({ sandboxName: "api", providerName: "gh" }))).code,
    ).toBe("OK");
  });

  it("names the field with the SDK's error classes, for the create path's prefix too", () => {
    const records = [{ name: "gh", provider: undefined }];
    let thrown: unknown;
    try {
      checkPolicyCredentialBindings(records, undefined, "spec.policy");
      checkPolicyCredentialBindings(
        [],
        create(SandboxPolicySchema, bindingPolicy("cloud", { host: "" })),
        "spec.policy",
      );
    } catch (error) {
      thrown = error;
    }
    // A hostless bound endpoint: upstream's words for "a binding that names no endpoint".
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).field).toBe(
      'spec.policy.network_policies["store"].endpoints[0].host',
    );
    expect((thrown as Error).message).toContain(
      "credential-bound endpoint for provider 'cloud' must define a host",
    );
    expect(() =>
      checkPolicyCredentialBindings(
        records,
        create(SandboxPolicySchema, bindingPolicy("cloud")),
        "spec.policy",
      ),
    ).toThrow(FailedPreconditionError);
  });
});
