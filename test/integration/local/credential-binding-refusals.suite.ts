import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  OpenShell,
  type OpenShellError,
  SandboxFailedError,
} from "../../../src/index.js";
import { SANDBOX_NAME_LABEL } from "../../../src/local/sandboxes/sandbox-container.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";
import { engineEndpoint } from "./support/credential-gateway.js";

const run = promisify(execFile);

/** The error a call ends with (undefined when it succeeds). */
async function failure(call: Promise<unknown>): Promise<OpenShellError | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return error as OpenShellError;
  }
}

/**
 * A policy `credential_binding` upstream's gateway refuses, or providers giving one credential key,
 * are refused by local mode through the public client, at the calls where upstream refuses them,
 * with its status code and words, and nothing is made or changed: CreateSandbox (no sandbox, no
 * container), UpdateConfig (no revision), DetachSandboxProvider (still attached).
 */
export function describeCredentialBindingRefusals(kind: LocalKind): void {
  const endpoint = engineEndpoint(kind);
  const cloud = uniqueName("aws");
  const llm = uniqueName("llm");
  let os: OpenShell;
  const images: string[] = [];
  let context: string | undefined;

  /** Builds an image from the sandbox test image whose /etc/openshell/policy.yaml binds `provider`. */
  async function imageBinding(provider: string): Promise<string> {
    context ??= mkdtempSync(join(tmpdir(), "openshell-binding-image-"));
    const dir = mkdtempSync(join(context, "img-"));
    const policy = `version: 1
process: { run_as_user: "1000", run_as_group: "1000" }
network_policies:
  store:
    endpoints:
      - { host: minio.test, port: 9000, credential_binding: { provider: ${provider} } }
`;
    writeFileSync(join(dir, "policy.yaml"), policy);
    writeFileSync(
      join(dir, "Dockerfile"),
      `FROM ${testImages.sandbox}\nCOPY policy.yaml /etc/openshell/policy.yaml\n`,
    );
    const image = `openshell-test/binding-policy:${uniqueName("t").toLowerCase()}`;
    images.push(image);
    await run(kind, ["build", "-q", "-t", image, dir], { timeout: 120_000 });
    return image;
  }

  const bindTo = (provider: string) => ({
    networkPolicies: {
      store: { endpoints: [{ host: "minio.test", port: 9000, credentialBinding: { provider } }] },
    },
  });

  beforeAll(async () => {
    os = await OpenShell.local({ runtime: kind, runtimeOptions: { endpoint }, ephemeral: true });
    await os.providers.create({ name: cloud, type: "aws", credentials: { AWS_ACCESS_KEY_ID: "AKIA0" } });
    await os.providers.create({ name: llm, type: "openai", credentials: { OPENAI_API_KEY: "sk-0" } });
  }, 120_000);
  afterAll(async () => {
    await os?.close();
    if (images.length > 0) await run(kind, ["rmi", "-f", ...images]).catch(() => undefined);
    if (context !== undefined) rmSync(context, { recursive: true, force: true });
  });

  it("refuses a create whose binding names a provider the sandbox does not get or none, or whose providers share a key, and makes nothing", async () => {
    const name = uniqueName("bind");
    const create = (policy: ReturnType<typeof bindTo>, providers: string[]) =>
      failure(os.sandboxes.create({ name, image: testImages.busybox, command: IDLE, providers, policy }));

    const unattached = await create(bindTo(cloud), [llm]);
    expect(unattached).toBeInstanceOf(FailedPreconditionError);
    expect(unattached?.message).toContain(
      `spec.policy.network_policies["store"].endpoints[0].credential_binding.provider: credential_binding references provider '${cloud}', but that provider is not attached to the sandbox`,
    );
    const unnamed = await create(bindTo(""), [cloud]);
    expect(unnamed).toBeInstanceOf(InvalidArgumentError);
    expect(unnamed?.message).toContain("credential_binding.provider is required for endpoint 'minio.test'");
    const profileless = await create(bindTo(llm), [llm]);
    expect(profileless).toBeInstanceOf(FailedPreconditionError);
    expect(profileless?.message).toContain(`credential_binding provider '${llm}' has no provider profile`);

    // Two providers giving one credential key: upstream refuses the create before the policy.
    const work = uniqueName("ghw");
    const home = uniqueName("ghh");
    await os.providers.create({ name: work, type: "github", credentials: { GITHUB_TOKEN: "ghp_w" } });
    await os.providers.create({ name: home, type: "github", credentials: { GITHUB_TOKEN: "ghp_h" } });
    const shared = await create(bindTo(cloud), [work, home]);
    expect(shared).toBeInstanceOf(FailedPreconditionError);
    expect(shared?.message).toContain(
      `credential env key 'GITHUB_TOKEN' is provided by both provider '${work}' and provider '${home}'; use provider-specific env names`,
    );

    expect((await os.sandboxes.list()).map((s) => s.name)).not.toContain(name);
    const runtime = await createRuntime({ runtime: kind, endpoint });
    try {
      expect(await runtime.listContainers({ labels: { [SANDBOX_NAME_LABEL]: name } })).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it("refuses a policy update and a detach that would leave a binding without its provider, changing nothing", async () => {
    const sb = await os.sandboxes.create({
      name: uniqueName("bind"),
      image: testImages.busybox,
      command: IDLE,
      providers: [cloud, llm],
      policy: bindTo(cloud),
    });
    const before = await os.policy.revisions(sb.name);

    const update = await failure(os.policy.update(sb.name, bindTo(llm)));
    expect(update).toBeInstanceOf(FailedPreconditionError);
    expect(update?.message).toContain(
      `policy.network_policies["store"].endpoints[0].credential_binding.provider: credential_binding provider '${llm}' has no provider profile`,
    );
    expect((await os.policy.revisions(sb.name)).length).toBe(before.length);

    const detach = await failure(os.providers.detach(sb.name, cloud));
    expect(detach).toBeInstanceOf(FailedPreconditionError);
    expect(detach?.message).toContain(
      `credential_binding references provider '${cloud}', but that provider is not attached to the sandbox`,
    );
    const attached = async () => (await os.providers.listForSandbox(sb.name)).map((p) => p.name).sort();
    expect(await attached()).toEqual([cloud, llm].sort());
    // A provider no binding names still comes off.
    await os.providers.detach(sb.name, llm);
    expect(await attached()).toEqual([cloud]);
    await os.sandboxes.delete(sb.name);
  });

  it("takes an image policy file's credential_binding, and fails the sandbox as upstream when the gateway refuses it", async () => {
    const bound = await os.sandboxes.create({
      name: uniqueName("bind"),
      image: await imageBinding(cloud),
      command: IDLE,
      providers: [cloud],
    });
    await bound.ready({ timeoutMs: 60_000 });
    expect((await bound.exec(["env"])).stdout).toMatch(
      /^AWS_ACCESS_KEY_ID=openshell:resolve:env:v[0-9]+_AWS_ACCESS_KEY_ID$/m,
    );
    await os.sandboxes.delete(bound.name);

    const refused = await os.sandboxes.create({
      name: uniqueName("bind"),
      image: await imageBinding("nobody"),
      command: IDLE,
      providers: [cloud],
    });
    const failed = await failure(refused.ready({ timeoutMs: 60_000 }));
    expect(failed).toBeInstanceOf(SandboxFailedError);
    expect((failed as SandboxFailedError).reason).toBe("PolicyNotEnforceable");
    expect(failed?.message).toContain("/etc/openshell/policy.yaml of image openshell-test/binding-policy:");
    expect(failed?.message).toContain(
      "credential_binding references provider 'nobody', but that provider is not attached to the sandbox",
    );
    await os.sandboxes.delete(refused.name);
  }, 300_000);
}
