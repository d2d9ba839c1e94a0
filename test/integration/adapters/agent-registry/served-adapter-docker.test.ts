import { type OpenShell, OpenShell as OpenShellClient, UnauthenticatedError } from "openshell";
import { replyText } from "openshell/adapters/a2a";
import {
  type AdapterService,
  connectAdapterService,
  generateServiceToken,
  OpenShellDeploymentAdapter,
  serveAdapter,
} from "openshell/adapters/agent-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition, settled, statusesUntil } from "../../../support/agent-registry/deployment-status.js";
import { echoDeployment } from "../../../support/agent-registry/echo-deployment.js";
import { dockerTestEndpoint } from "../../../support/test-engines.js";

/**
 * The real adapter on local mode over Docker, served by serveAdapter on loopback and driven over
 * HTTP, as a registry-side forwarder in another language would: with curl-like raw requests and
 * with the typed client.
 */
describe("serveAdapter over OpenShellDeploymentAdapter on local mode over Docker", () => {
  let os: OpenShell;
  let adapter: OpenShellDeploymentAdapter;
  let service: AdapterService;
  const token = generateServiceToken();

  beforeAll(async () => {
    os = await OpenShellClient.local({
      runtime: "docker",
      runtimeOptions: { endpoint: dockerTestEndpoint },
      ephemeral: true,
    });
    adapter = new OpenShellDeploymentAdapter({ client: os, env: {} });
    service = await serveAdapter(adapter, { token });
  });
  afterAll(async () => {
    await service?.close();
    await adapter?.close();
    await os?.close();
  });

  async function post(path: string, body: unknown): Promise<Response> {
    return fetch(`${service.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  it("deploys, watches, invokes, reads logs and removes over plain HTTP and NDJSON", async () => {
    expect(new URL(service.url).hostname).toBe("127.0.0.1");
    const d = echoDeployment();
    const applied = await post("/v1/apply", d);
    expect(applied.status).toBe(200);
    const result = (await applied.json()) as {
      conditions: { type: string; status: string }[];
      runtimeMetadata: Record<string, string>;
    };
    expect(result.conditions.find((c) => c.type === "Progressing")?.status).toBe("True");

    // The watch as NDJSON: read lines until Ready.
    const watch = new AbortController();
    const watched = await fetch(`${service.url}/v1/watch`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ deployment: d.deployment }),
      signal: watch.signal,
    });
    expect(watched.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const reader = watched.body?.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    let ready = false;
    while (!ready && reader) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      for (const line of buffered.split("\n").slice(0, -1)) {
        if (line.trim() === "") continue;
        const status = JSON.parse(line) as { conditions: { type: string; status: string }[] };
        if (status.conditions.some((c) => c.type === "Ready" && c.status === "True")) ready = true;
      }
      buffered = buffered.slice(buffered.lastIndexOf("\n") + 1);
    }
    watch.abort();
    expect(ready).toBe(true);

    const invoked = await post("/v1/invoke", { deployment: d.deployment, message: "over http" });
    expect(invoked.status).toBe(200);
    expect(JSON.stringify(await invoked.json())).toContain("over http");

    const logs = await post("/v1/logs", { deployment: d.deployment, tailLines: 20 });
    const lines = (await logs.text())
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as { line: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(20);

    const removed = await post("/v1/remove", { deployment: d.deployment, runtime: d.runtime });
    const removal = (await removed.json()) as { conditions: { type: string; reason: string }[] };
    expect(removal.conditions.find((c) => c.type === "Ready")?.reason).toBe("Removed");
    await expect(os.sandboxes.info(result.runtimeMetadata.sandboxName ?? "")).rejects.toThrow(/not found/i);
  });

  it("works the same through the typed client, and refuses a wrong token", async () => {
    const client = await connectAdapterService(service.url, { token });
    try {
      expect(client.type()).toBe("OpenShell");
      const d = echoDeployment();
      await client.apply(d);
      const status = (
        await statusesUntil(client.watch(d.deployment, { signal: AbortSignal.timeout(90_000) }), settled)
      ).at(-1);
      expect(status && condition(status, "Ready")).toBe("True/AgentAnswering");
      expect(replyText(await client.invoke(d.deployment, "typed"))).toContain("typed");
      const removal = await client.remove({ deployment: d.deployment, runtime: d.runtime });
      expect(removal.conditions.find((c) => c.type === "Ready")?.reason).toBe("Removed");
    } finally {
      await client.close();
    }
    await expect(
      connectAdapterService(service.url, { token: generateServiceToken() }),
    ).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
