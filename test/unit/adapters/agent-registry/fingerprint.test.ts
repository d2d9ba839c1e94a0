import { readFileSync } from "node:fs";
import fc from "fast-check";
import { InvalidArgumentError } from "openshell";
import { desiredFingerprint, type FingerprintInput } from "openshell/adapters/agent-registry";
import { describe, expect, it } from "vitest";

// The fixture fields the edits below touch (the fixtures hold them all).
interface Meta {
  name: string;
  uid?: string;
  tag?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  updatedAt?: string;
}
interface Fixtures {
  deployment: {
    metadata: Meta;
    status?: unknown;
    spec: {
      env: Record<string, string>;
      desiredState?: string;
      modelRef: { name: string };
      harness: { type: string; permissionMode?: string };
      runtimeConfig: {
        command: string[];
        port: number;
        resources: { limits: { memory: string } };
        egressHosts: string[];
        credentialEnv: string[];
      };
    };
  };
  target: {
    metadata: Meta;
    spec: {
      source: { image: string; protocol: string };
      modelName?: string;
      modelProvider?: string;
      mcpServers: Array<{ kind: string; name: string }>;
      compatibleHarnesses: Array<{ type: string }>;
      skills?: unknown;
      plugins?: unknown[];
      iconUrl?: string;
    };
  };
  runtime: { metadata: Meta; spec: { config: { gateway: string }; telemetryEndpoint?: string } };
  model: { metadata: Meta; spec: { model: string; endpoint: { baseUrl?: string } } };
}

const load = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));

const base = (): Fixtures =>
  ({
    deployment: load("deployment-a2a.json"),
    target: load("agent-a2a.json"),
    runtime: load("runtime-gateway.json"),
    model: load("model-bedrock.json"),
  }) as Fixtures;

/** The same data with every object's keys in another order, chosen by `seed`. */
function reordered(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, index) => reordered(item, seed + index));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  let state = seed >>> 0;
  for (let i = entries.length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([key, inner], index) => [key, reordered(inner, seed * 31 + index)]));
}

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);

// Edits that change what the sandbox is: each must change the fingerprint.
const relevant: Array<[string, (input: Fixtures, value: string) => void]> = [
  ["image", (i, v) => (i.target.spec.source.image = `ghcr.io/acme/${v}:2`)],
  ["protocol", (i) => (i.target.spec.source.protocol = "HTTP")],
  ["command", (i, v) => i.deployment.spec.runtimeConfig.command.push(v)],
  ["env value", (i, v) => (i.deployment.spec.env.LOG_LEVEL = `${v}!`)],
  ["env entry", (i, v) => (i.deployment.spec.env[`X_${v.replace(/-/g, "_")}`] = "1")],
  ["empty env value", (i, v) => (i.deployment.spec.env[`E_${v.replace(/-/g, "_")}`] = "")],
  ["port", (i, v) => (i.deployment.spec.runtimeConfig.port = 1024 + v.length)],
  ["resources", (i, v) => (i.deployment.spec.runtimeConfig.resources.limits.memory = `${v.length + 2}Gi`)],
  ["egress hosts", (i, v) => i.deployment.spec.runtimeConfig.egressHosts.push(`${v}.example.com`)],
  [
    "credential env",
    (i, v) => i.deployment.spec.runtimeConfig.credentialEnv.push(v.toUpperCase().replace(/-/g, "_")),
  ],
  ["modelRef", (i, v) => (i.deployment.spec.modelRef.name = `${v}-model`)],
  ["agent model name", (i, v) => (i.target.spec.modelName = `${v}-model`)],
  ["agent model provider", (i, v) => (i.target.spec.modelProvider = `${v}-provider`)],
  ["model id", (i, v) => (i.model.spec.model = `${v}.model`)],
  ["model endpoint", (i, v) => (i.model.spec.endpoint.baseUrl = `https://${v}.example.com`)],
  ["mcp servers", (i, v) => i.target.spec.mcpServers.push({ kind: "MCPServer", name: v })],
  ["target tag", (i, v) => (i.target.metadata.tag = `${v}-2`)],
  ["runtime gateway", (i, v) => (i.runtime.spec.config.gateway = `${v}-gw`)],
  ["telemetry endpoint", (i, v) => (i.runtime.spec.telemetryEndpoint = `http://${v}:4317`)],
  ["desired state", (i) => (i.deployment.spec.desiredState = "undeployed")],
  ["deployment uid", (i, v) => (i.deployment.metadata.uid = `${v}-uid`)],
  ["deployment name", (i, v) => (i.deployment.metadata.name = `${v}-deployment`)],
  ["harness", (i, v) => (i.deployment.spec.harness.permissionMode = `${v}-mode`)],
];

// Edits that leave the sandbox as it is: none may change the fingerprint.
const irrelevant: Array<[string, (input: Fixtures, value: string) => void]> = [
  ["deployment labels", (i, v) => (i.deployment.metadata.labels[v] = v)],
  ["deployment annotations", (i, v) => (i.deployment.metadata.annotations[`x/${v}`] = v)],
  ["timestamps", (i) => (i.deployment.metadata.updatedAt = "2026-09-01T00:00:00Z")],
  [
    "status",
    (i, v) => (i.deployment.status = { conditions: [{ type: "Ready", status: "True", reason: v }] }),
  ],
  ["no status", (i) => delete i.deployment.status],
  ["target labels", (i, v) => (i.target.metadata.labels[v] = v)],
  ["target uid", (i, v) => (i.target.metadata.uid = v)],
  ["icon", (i, v) => (i.target.spec.iconUrl = `https://${v}.example.com/icon.png`)],
  ["harness list", (i, v) => i.target.spec.compatibleHarnesses.push({ type: v })],
  ["skills null vs absent", (i) => delete i.target.spec.skills],
  ["empty plugins", (i) => (i.target.spec.plugins = [])],
  ["runtime labels", (i, v) => (i.runtime.metadata.labels[v] = v)],
  ["model uid", (i, v) => (i.model.metadata.uid = v)],
  ["desired state spelled out", (i) => (i.deployment.spec.desiredState = "")],
];

describe("desiredFingerprint", () => {
  it("is the same whatever the key order", () => {
    const expected = desiredFingerprint(base());
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        expect(desiredFingerprint(reordered(base(), seed) as FingerprintInput)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("changes when anything that shapes the sandbox changes", () => {
    const before = desiredFingerprint(base());
    fc.assert(
      fc.property(fc.constantFrom(...relevant), word, ([, edit], value) => {
        const input = base();
        edit(input, value);
        expect(desiredFingerprint(input)).not.toBe(before);
      }),
      { numRuns: 300 },
    );
    // Every edit, at least once.
    for (const [name, edit] of relevant) {
      const input = base();
      edit(input, "zz");
      expect(desiredFingerprint(input), name).not.toBe(before);
    }
  });

  it("stays the same when only labels, annotations, timestamps, status or display fields change", () => {
    const before = desiredFingerprint(base());
    fc.assert(
      fc.property(fc.constantFrom(...irrelevant), word, ([, edit], value) => {
        const input = base();
        edit(input, value);
        expect(desiredFingerprint(input)).toBe(before);
      }),
      { numRuns: 300 },
    );
    for (const [name, edit] of irrelevant) {
      const input = base();
      edit(input, "zz");
      expect(desiredFingerprint(input), name).toBe(before);
    }
  });

  it("counts the Model only when the caller gives it", () => {
    const { model: _model, ...withoutModel } = base();
    expect(desiredFingerprint(withoutModel)).not.toBe(desiredFingerprint(base()));
    expect(desiredFingerprint(withoutModel)).toBe(desiredFingerprint({ ...withoutModel }));
  });

  it("takes MCP server deployments too", () => {
    const target = load("mcp-server.json") as {
      spec: { description?: string; source: { package: { version: string } } };
    };
    const input = { deployment: load("deployment-mcp.json"), target, runtime: load("runtime-gateway.json") };
    const before = desiredFingerprint(input);
    input.target.spec.description = "new words";
    expect(desiredFingerprint(input)).toBe(before);
    input.target.spec.source.package.version = "0.4.0";
    expect(desiredFingerprint(input)).not.toBe(before);
  });

  it("names the field of a resource that does not have the registry's shape", () => {
    const input = base();
    (input.deployment.spec.env as Record<string, unknown>).PORT = 8080;
    expect(() => desiredFingerprint(input)).toThrow(InvalidArgumentError);
    try {
      desiredFingerprint(input);
    } catch (error) {
      expect((error as InvalidArgumentError).field).toBe("deployment.spec.env.PORT");
    }
    expect(() => desiredFingerprint({ ...base(), target: undefined })).toThrow(/invalid target: is required/);
  });
});
