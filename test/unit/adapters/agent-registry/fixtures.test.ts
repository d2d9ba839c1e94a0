import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "openshell";
import {
  agentSchema,
  deploymentSchema,
  mcpServerSchema,
  modelSchema,
  parseApplyInput,
  runtimeSchema,
} from "openshell/adapters/agent-registry";
import { describe, expect, it } from "vitest";
import { openApiErrors } from "./openapi-validator.js";

const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));

describe("agent-registry fixtures", () => {
  it.each([
    ["agent-a2a.json", "Agent", agentSchema],
    ["deployment-a2a.json", "Deployment", deploymentSchema],
    ["deployment-mcp.json", "Deployment", deploymentSchema],
    ["deployment-remote-mcp.json", "Deployment", deploymentSchema],
    ["runtime-local.json", "Runtime", runtimeSchema],
    ["runtime-gateway.json", "Runtime", runtimeSchema],
    ["model-bedrock.json", "Model", modelSchema],
  ] as const)("%s is a valid registry %s and parses with the adapter's schema", (file, name, schema) => {
    const document = load(file);
    expect(openApiErrors(name, document)).toEqual([]);
    expect(schema.parse(document).metadata.name).toBe((document.metadata as { name: string }).name);
  });

  // The subset has no MCPServer schema (its shape is from the registry's Go types): the envelope
  // parts it shares with every resource are checked against the registry's schemas.
  it.each(["mcp-server.json", "mcp-server-remote.json"])("%s has a registry envelope and parses", (file) => {
    const document = load(file);
    expect(openApiErrors("ObjectMeta", document.metadata)).toEqual([]);
    expect(openApiErrors("Status", document.status ?? {})).toEqual([]);
    expect(mcpServerSchema.parse(document).kind).toBe("MCPServer");
  });

  it("the validator rejects what the registry rejects (a Deployment without a targetRef)", () => {
    expect(openApiErrors("Deployment", load("invalid/deployment-missing-target.json"))).toEqual([
      "/spec must have required property 'targetRef'",
    ]);
  });

  it("a whole apply request of the fixtures parses, with what the adapter reads from it", () => {
    const input = parseApplyInput({
      deployment: load("deployment-a2a.json"),
      target: load("agent-a2a.json"),
      runtime: load("runtime-local.json"),
    });
    expect(input.image).toBe("ghcr.io/acme/echo-agent:1.2.0");
    expect(input.gateway).toEqual({ kind: "local" });
    expect(input.config.port).toBe(8080);
    expect(input.config.resources).toEqual({
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
  });

  it("an MCP server deployment runs its OCI package at its version, on a named gateway", () => {
    const input = parseApplyInput({
      deployment: load("deployment-mcp.json"),
      target: load("mcp-server.json"),
      runtime: load("runtime-gateway.json"),
    });
    expect(input.image).toBe("ghcr.io/acme/weather-mcp:0.3.0");
    expect(input.gateway).toEqual({ kind: "named", name: "lab-gateway" });
  });
});

function applyError(input: unknown): InvalidArgumentError {
  try {
    parseApplyInput(input);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error("parseApplyInput accepted the input");
}

describe("agent-registry bad input", () => {
  const target = load("agent-a2a.json");
  const runtime = load("runtime-local.json");

  it("wrong types in runtimeConfig pass the registry (free-form there) but name the field here", () => {
    const deployment = load("invalid/deployment-runtime-config-types.json");
    expect(openApiErrors("Deployment", deployment)).toEqual([]);
    const error = applyError({ deployment, target, runtime });
    expect(error.field).toBe("deployment.spec.runtimeConfig.port");
    expect(error.message).toMatch(/^invalid deployment\.spec\.runtimeConfig\.port: /);
  });

  it("a resource limit that is not a quantity names the field", () => {
    const deployment = load("invalid/deployment-runtime-config-resources.json");
    const error = applyError({ deployment, target, runtime });
    expect(error.field).toBe("deployment.spec.runtimeConfig.resources.limits.memory");
    expect(error.message).toContain("Kubernetes quantity");
  });

  it("a deployment without a targetRef names deployment.spec.targetRef", () => {
    const error = applyError({ deployment: load("invalid/deployment-missing-target.json"), target, runtime });
    expect(error.field).toBe("deployment.spec.targetRef");
  });

  it("no target at all names target", () => {
    const error = applyError({ deployment: load("deployment-a2a.json"), runtime });
    expect(error.field).toBe("target");
    expect(error.message).toBe("invalid target: is required: the Agent named by deployment.spec.targetRef");
  });

  it("no deployment at all names deployment", () => {
    expect(applyError({ target, runtime }).field).toBe("deployment");
    expect(applyError(undefined).field).toBe("input");
  });

  it("an unsupported target kind names deployment.spec.targetRef.kind", () => {
    const error = applyError({
      deployment: load("invalid/deployment-unsupported-kind.json"),
      target: { ...target, kind: "Prompt" },
      runtime,
    });
    expect(error.field).toBe("deployment.spec.targetRef.kind");
    expect(error.message).toContain('unsupported target kind "Prompt"');
  });

  it("a target of a kind the deployment does not name is refused", () => {
    const error = applyError({
      deployment: load("deployment-a2a.json"),
      target: load("mcp-server.json"),
      runtime,
    });
    expect(error.field).toBe("target.kind");
  });

  it("a remote-only MCP server has nothing to deploy", () => {
    const error = applyError({
      deployment: load("deployment-remote-mcp.json"),
      target: load("mcp-server-remote.json"),
      runtime,
    });
    expect(error.field).toBe("target.spec.source.package");
    expect(error.message).toContain("remote-only");
  });

  it("a runtime of another type names runtime.spec.type", () => {
    const other = { ...runtime, spec: { type: "Kubernetes" } };
    const error = applyError({ deployment: load("deployment-a2a.json"), target, runtime: other });
    expect(error.field).toBe("runtime.spec.type");
  });

  it("a runtime config naming a path instead of a gateway names runtime.spec.config.gateway", () => {
    const other = { ...runtime, spec: { type: "OpenShell", config: { gateway: "../etc" } } };
    const error = applyError({ deployment: load("deployment-a2a.json"), target, runtime: other });
    expect(error.field).toBe("runtime.spec.config.gateway");
  });

  it("an agent without an image names target.spec.source.image", () => {
    const noImage = { ...target, spec: { source: { protocol: "A2A" } } };
    const error = applyError({ deployment: load("deployment-a2a.json"), target: noImage, runtime });
    expect(error.field).toBe("target.spec.source.image");
  });
});
