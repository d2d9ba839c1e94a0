import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, OpenShell } from "openshell";
import { OpenShellDeploymentAdapter } from "openshell/adapters/agent-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition, settled, statusesUntil } from "../../../../support/agent-registry/deployment-status.js";
import { echoDeployment } from "../../../../support/agent-registry/echo-deployment.js";

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("OpenShellDeploymentAdapter over a gateway that does not answer", () => {
  let os: OpenShell;
  let adapter: OpenShellDeploymentAdapter;
  let endpoint: string;

  beforeAll(async () => {
    endpoint = `http://127.0.0.1:${await closedPort()}`;
    const home = mkdtempSync(join(tmpdir(), "adapter-unreachable-"));
    os = await OpenShell.connect({ endpoint, homeDir: home, env: { HOME: home }, retry: false });
    adapter = new OpenShellDeploymentAdapter({ client: os, env: {} });
  });
  afterAll(async () => {
    await adapter?.close();
    await os?.close();
  });

  function onThisGateway() {
    const d = echoDeployment();
    return { ...d, runtime: { ...d.runtime, spec: { type: "OpenShell" as const, config: { endpoint } } } };
  }

  it("answers apply at once with Progressing, then reports Degraded GatewayUnreachable", async () => {
    const d = onThisGateway();
    const started = performance.now();
    const applied = await adapter.apply(d);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(applied.conditions.find((c) => c.type === "Progressing")).toMatchObject({
      status: "True",
      reason: "Deploying",
    });
    const seen = await statusesUntil(
      adapter.watch(d.deployment, { signal: AbortSignal.timeout(30_000) }),
      settled,
    );
    const status = seen.at(-1);
    if (status === undefined) throw new Error("no status");
    expect(condition(status, "Degraded")).toBe("True/GatewayUnreachable");
    expect(status.conditions.find((c) => c.type === "Degraded")?.message).toMatch(/check that it runs/);
  });

  it("refuses a Runtime that names another gateway, naming the field", async () => {
    const d = echoDeployment();
    const error = await adapter.apply(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe("runtime.spec.config.gateway");
    expect((error as Error).message).toMatch(/names the local gateway but this adapter serves/);
  });

  it.each([
    ["no deployment", {}, "deployment"],
    ["no target", { deployment: echoDeployment().deployment, runtime: echoDeployment().runtime }, "target"],
    [
      "an unsupported target kind",
      (() => {
        const d = echoDeployment();
        return {
          ...d,
          deployment: {
            ...d.deployment,
            spec: { ...d.deployment.spec, targetRef: { kind: "Prompt", name: "p" } },
          },
        };
      })(),
      "deployment.spec.targetRef.kind",
    ],
    [
      "a runtime config with wrong types",
      echoDeployment({ runtimeConfig: { port: "8080" } }),
      "deployment.spec.runtimeConfig.port",
    ],
    [
      "a remote-only MCP server",
      (() => {
        const d = echoDeployment();
        return {
          ...d,
          deployment: {
            ...d.deployment,
            spec: { ...d.deployment.spec, targetRef: { kind: "MCPServer", name: "weather" } },
          },
          target: {
            apiVersion: "ar.dev/v1alpha1",
            kind: "MCPServer",
            metadata: { name: "weather" },
            spec: { remote: { type: "streamable-http", url: "https://mcp.example.com/mcp" } },
          },
        };
      })(),
      "target.spec.source.package",
    ],
  ])("refuses %s with an InvalidArgumentError naming the field", async (_what, input, field) => {
    const error = await adapter.apply(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe(field);
  });

  it("answers watch of a deployment it never saw with the gateway's error", async () => {
    const d = onThisGateway();
    const iterator = adapter.watch(d.deployment)[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow(/unavailable|connect|ECONNREFUSED/i);
  });
});
