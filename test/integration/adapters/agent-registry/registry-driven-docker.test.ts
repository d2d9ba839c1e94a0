import { setupServer } from "msw/node";
import { type OpenShell, OpenShell as OpenShellClient } from "openshell";
import { OpenShellDeploymentAdapter, RegistryClient } from "openshell/adapters/agent-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition, settled, statusesUntil } from "../../../support/agent-registry/deployment-status.js";
import { echoDeployment } from "../../../support/agent-registry/echo-deployment.js";
import { REGISTRY_URL, registryDouble } from "../../../support/agent-registry/registry-handlers.js";
import { dockerTestEndpoint } from "../../../support/test-engines.js";

/** A Bedrock Model in the registry's shape (its schema allows only provider "bedrock"). */
const model = {
  apiVersion: "ar.dev/v1alpha1",
  kind: "Model",
  metadata: { name: "claude-on-bedrock", namespace: "adapter-tests" },
  spec: { provider: "bedrock", model: "us.anthropic.claude-sonnet-4-5", endpoint: { region: "us-east-1" } },
};

/**
 * The registry's side played by msw handlers built from openapi-subset.json (the registry is a Go
 * server that cannot run here): the Deployment, its Agent, Runtime and Model read with
 * RegistryClient, deployed with the adapter on local mode over Docker, the Model resolved through
 * the registry.
 */
describe("a deployment read from the registry and deployed by the adapter on local mode over Docker", () => {
  const d = echoDeployment();
  const deployment = {
    ...d.deployment,
    spec: { ...d.deployment.spec, modelRef: { name: "claude-on-bedrock" } },
  };
  const double = registryDouble(
    { deployments: [deployment], agents: [d.target], runtimes: [d.runtime], models: [model] },
    { token: "registry-token-for-tests" },
  );
  // Only the registry's address is answered by msw; the adapter's own requests (the readiness probe
  // through a forward on 127.0.0.1) go to the network as they are.
  const server = setupServer(...double.handlers);
  let os: OpenShell;
  const registry = new RegistryClient({ baseUrl: REGISTRY_URL, token: "registry-token-for-tests" });

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: "bypass" });
    os = await OpenShellClient.local({
      runtime: "docker",
      runtimeOptions: { endpoint: dockerTestEndpoint },
      ephemeral: true,
    });
  });
  afterAll(async () => {
    server.close();
    await os?.close();
  });

  async function fromRegistry() {
    const found = await registry.getDeployment(deployment.metadata.name, { namespace: "adapter-tests" });
    const { name, tag } = found.spec.targetRef;
    const target = await registry.getAgent(name, { namespace: "adapter-tests", ...(tag ? { tag } : {}) });
    const runtime = await registry.getRuntime(found.spec.runtimeRef.name);
    return { deployment: found, target, runtime };
  }

  function adapterWith(env: Record<string, string>) {
    return new OpenShellDeploymentAdapter({
      client: os,
      env,
      resolveModel: (ref, { signal }) => registry.getModel(ref.name, { namespace: "adapter-tests", signal }),
    });
  }

  it("without the Model's credentials in the adapter's env: Degraded MissingModelCredentials naming them", async () => {
    const adapter = adapterWith({});
    try {
      const input = await fromRegistry();
      await adapter.apply(input);
      const status = (
        await statusesUntil(adapter.watch(input.deployment, { signal: AbortSignal.timeout(60_000) }), settled)
      ).at(-1);
      expect(status && condition(status, "Degraded")).toBe("True/MissingModelCredentials");
      expect(status?.conditions.find((c) => c.type === "Degraded")?.message).toContain("AWS_ACCESS_KEY_ID");
      expect(double.requests.map((r) => r.path)).toContain("/v0/models/claude-on-bedrock");
    } finally {
      await adapter.remove(await fromRegistry());
      await adapter.close();
    }
  });

  it("with them: the Model's provider made, the agent Ready and answering, everything removed after", async () => {
    const secret = `aws-secret-${Math.random().toString(36).slice(2)}`;
    const adapter = adapterWith({ AWS_ACCESS_KEY_ID: "AKIATESTONLY0000", AWS_SECRET_ACCESS_KEY: secret });
    try {
      const input = await fromRegistry();
      const applied = await adapter.apply(input);
      const status = (
        await statusesUntil(adapter.watch(input.deployment, { signal: AbortSignal.timeout(90_000) }), settled)
      ).at(-1);
      expect(status && condition(status, "Ready")).toBe("True/AgentAnswering");
      const sandboxName = applied.runtimeMetadata.sandboxName ?? "";
      // The registry is not needed any more; msw's interception of Node's HTTP client would also
      // catch the engine's exec, whose hijacked (upgraded) connection it cannot pass through.
      server.close();
      expect((await os.providers.get(`${sandboxName}-model`)).type).toBe("aws-bedrock");
      const env = (await os.sandboxes.handle(sandboxName).exec(["env"])).stdout;
      expect(env).toContain("AWS_REGION=us-east-1");
      expect(env).not.toContain(secret);
      await adapter.remove(input);
      await expect(os.providers.get(`${sandboxName}-model`)).rejects.toThrow(/not found/i);
    } finally {
      await adapter.close();
    }
  });
});
