import { afterEach, describe, expect, it } from "vitest";
import { RegistryClient } from "../../../../../adapters/agent-registry/registry/registry-client.js";
import {
  REGISTRY_URL,
  type RegistryContents,
  type ResourceJson,
  registryDouble,
} from "../../../../support/agent-registry/registry-handlers.js";
import { useRegistryServer } from "../../../../support/agent-registry/registry-server.js";
import { loadFixture } from "../../../../support/agent-registry/registry-test-kit.js";

const load = loadFixture;

const agent = load("agent-a2a.json");
const model = load("model-bedrock.json");
const runtime = load("runtime-local.json");
const deployment = load("deployment-a2a.json");

// A deployment in the default namespace, named `name`, with `labels`.
function deploymentNamed(name: string, labels: Record<string, string> = {}, annotations = {}): ResourceJson {
  return {
    apiVersion: "ar.dev/v1alpha1",
    kind: "Deployment",
    metadata: { name, labels, annotations },
    spec: {
      targetRef: { kind: "Agent", name: "echo-agent" },
      runtimeRef: { kind: "Runtime", name: "openshell-local" },
    },
  };
}

const seven = Array.from({ length: 7 }, (_, i) =>
  deploymentNamed(
    `d${i}`,
    { team: i % 2 === 0 ? "even" : "odd" },
    i === 6 ? { "agentregistry.solo.io/origin": "discovered" } : {},
  ),
);

const contents: RegistryContents = {
  agents: [
    {
      ...agent,
      metadata: { ...agent.metadata, tag: "1.1.0" },
      spec: { source: { image: "old:1", protocol: "A2A" } },
    },
    { ...agent, metadata: { ...agent.metadata, tag: "1.2.0" } },
    { ...agent, metadata: { name: "team/echo", tag: "1" } },
  ],
  models: [model],
  runtimes: [runtime],
  deployments: [deployment, ...seven],
  logs: {
    "team-a/echo-agent-prod": [
      { timestamp: "2026-08-21T10:03:00Z", stream: "stdout", line: "listening on 8080" },
      { timestamp: "2026-08-21T10:03:01Z", stream: "stderr", line: "warming up" },
      { timestamp: "2026-08-21T10:03:02Z", stream: "stdout", line: "ready" },
    ],
  },
};

const double = registryDouble(contents);
useRegistryServer(...double.handlers);
const client = new RegistryClient({ baseUrl: REGISTRY_URL, env: {} });

afterEach(() => {
  double.requests.length = 0;
});

describe("RegistryClient reads", () => {
  it("getAgent reads the latest Agent, or the one at a tag, with its namespace", async () => {
    const latest = await client.getAgent("echo-agent", { namespace: "team-a" });
    expect(latest.spec.source?.image).toBe("ghcr.io/acme/echo-agent:1.2.0");
    const older = await client.getAgent("echo-agent", { namespace: "team-a", tag: "1.1.0" });
    expect(older.spec.source?.image).toBe("old:1");
    expect(double.requests.map((r) => `${r.path}?${r.query}`)).toEqual([
      "/v0/agents/echo-agent?namespace=team-a",
      "/v0/agents/echo-agent/1.1.0?namespace=team-a",
    ]);
  });

  it("a name with a slash is sent as one encoded path segment", async () => {
    const found = await client.getAgent("team/echo", { tag: "1" });
    expect(found.metadata.name).toBe("team/echo");
    expect(double.requests[0]?.path).toBe("/v0/agents/team%2Fecho/1");
    expect([...(double.requests[0]?.query.keys() ?? [])]).toEqual([]);
  });

  it("getModel, getRuntime and getDeployment return the parsed resources", async () => {
    const m = await client.getModel("claude-on-bedrock", { namespace: "team-a" });
    expect(m.spec.auth).toEqual({
      strategy: "secretRef",
      secretRef: { name: "bedrock-creds", key: "AWS_SECRET_ACCESS_KEY" },
    });
    const r = await client.getRuntime("openshell-local");
    expect(r.spec).toEqual({ type: "OpenShell", config: { gateway: "local" } });
    const d = await client.getDeployment("echo-agent-prod", { namespace: "team-a" });
    expect(d.spec.targetRef).toEqual({
      kind: "Agent",
      name: "echo-agent",
      namespace: "team-a",
      tag: "1.2.0",
    });
    expect(d.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      "Progressing=True",
      "Ready=False",
    ]);
    expect(double.requests.map((r) => r.path)).toEqual([
      "/v0/models/claude-on-bedrock",
      "/v0/runtimes/openshell-local",
      "/v0/deployments/echo-agent-prod",
    ]);
  });

  it("getDeploymentLogs returns the last tailLines lines", async () => {
    const lines = await client.getDeploymentLogs("echo-agent-prod", { namespace: "team-a", tailLines: 2 });
    expect(lines).toEqual([
      { timestamp: "2026-08-21T10:03:01Z", stream: "stderr", line: "warming up" },
      { timestamp: "2026-08-21T10:03:02Z", stream: "stdout", line: "ready" },
    ]);
    expect(`${double.requests[0]?.query}`).toBe("namespace=team-a&tailLines=2");
    expect(await client.getDeploymentLogs("echo-agent-prod", { namespace: "team-a" })).toHaveLength(3);
  });
});

describe("RegistryClient lists deployments", () => {
  it("listDeployments sends the subset's query parameters and returns a page with its cursor", async () => {
    const page = await client.listDeployments({ limit: 2, labels: { team: "even" }, origin: "managed" });
    expect(page.items.map((d) => d.metadata.name)).toEqual(["d0", "d2"]);
    expect(page.nextCursor).toEqual(expect.any(String));
    const request = double.requests[0];
    expect(Object.fromEntries(request?.query ?? [])).toEqual({
      limit: "2",
      labels: "team=even",
      origin: "managed",
    });
  });

  it("the last page has no cursor; namespace all lists every namespace", async () => {
    const page = await client.listDeployments({ namespace: "all", limit: 50 });
    expect(page.items.map((d) => d.metadata.name)).toEqual([
      "echo-agent-prod",
      "d0",
      "d1",
      "d2",
      "d3",
      "d4",
      "d5",
      "d6",
    ]);
    expect(page.nextCursor).toBeUndefined();
  });

  it("listAllDeployments follows the cursor across 3 pages, with the same filters on each", async () => {
    const names: string[] = [];
    for await (const d of client.listAllDeployments({ limit: 3 })) names.push(d.metadata.name);
    expect(names).toEqual(["d0", "d1", "d2", "d3", "d4", "d5", "d6"]);
    expect(double.requests).toHaveLength(3);
    const cursors = double.requests.map((r) => r.query.get("cursor"));
    expect(cursors[0]).toBeNull();
    expect(new Set(cursors.slice(1)).size).toBe(2);
    expect(double.requests.every((r) => r.query.get("limit") === "3")).toBe(true);
  });

  it("origin discovered and a two-label selector narrow the list as the registry does", async () => {
    const discovered = await client.listDeployments({ origin: "discovered" });
    expect(discovered.items.map((d) => d.metadata.name)).toEqual(["d6"]);
    const none = await client.listDeployments({ labels: { team: "even", tier: "gold" } });
    expect(none).toEqual({ items: [], nextCursor: undefined });
    expect(double.requests[1]?.query.get("labels")).toBe("team=even,tier=gold");
  });

  it("stopping the iteration early sends no further request", async () => {
    for await (const d of client.listAllDeployments({ limit: 2 })) {
      expect(d.metadata.name).toBe("d0");
      break;
    }
    expect(double.requests).toHaveLength(1);
  });
});
