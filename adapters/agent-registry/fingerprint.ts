import { createHash } from "node:crypto";
import { type Agent, agentSchema } from "./resources/agent.js";
import { deploymentSchema } from "./resources/deployment.js";
import { type MCPServer, mcpServerSchema } from "./resources/mcp-server.js";
import { namespaceOf } from "./resources/meta.js";
import { modelSchema } from "./resources/model.js";
import { invalidField, parseOrThrow } from "./resources/parse.js";
import { runtimeSchema } from "./resources/runtime.js";

/** What the fingerprint is taken of: an apply request, plus the Model when the caller resolved it. */
export interface FingerprintInput {
  /** The Deployment. */
  deployment: unknown;
  /** Its Agent or MCPServer. */
  target: unknown;
  /** Its Runtime. */
  runtime: unknown;
  /** The Model its `modelRef` names, when resolved: its provider and endpoint shape the sandbox. */
  model?: unknown;
}

// Bump when the document below changes shape, so old and new fingerprints never compare equal.
const VERSION = 1;

/** JSON with object keys sorted at every depth and undefined left out: the same for the same data. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner;
    const entries = Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries);
  });
}

/**
 * Drops what Go's `omitempty` drops (null, "", [], {}, recursively), so a registry that sends
 * `"skills": null` and one that leaves it out describe the same sandbox. Not applied to maps of
 * user data (env, runtimeConfig), where an empty string is a value.
 */
function pruned(value: unknown): unknown {
  if (value === null || value === undefined || value === "") return undefined;
  if (Array.isArray(value)) {
    const items = value.map(pruned).filter((item) => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => [key, pruned(inner)] as const)
      .filter(([, inner]) => inner !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value;
}

const nonEmptyMap = <T>(map: Record<string, T> | undefined) =>
  map === undefined || Object.keys(map).length === 0 ? undefined : map;

/** The parts of a target that shape its sandbox: not its display fields. */
function targetSpec(target: Agent | MCPServer): unknown {
  if (target.kind === "Agent") {
    const { iconUrl: _icon, compatibleHarnesses: _harnesses, ...spec } = target.spec;
    return pruned(spec);
  }
  const { title: _title, description: _description, ...spec } = target.spec;
  return pruned(spec);
}

function parseTarget(value: unknown): Agent | MCPServer {
  const kind = (value as { kind?: unknown } | null | undefined)?.kind;
  if (value === undefined || value === null) invalidField("target", "is required");
  return kind === "MCPServer"
    ? parseOrThrow(mcpServerSchema, value, "target")
    : parseOrThrow(agentSchema, value, "target");
}

/**
 * The fingerprint of what a deployment asks the sandbox to be (the registry re-applies only when it
 * changes): a SHA-256 (64 hex characters) over the deployment's identity and spec (target, runtime,
 * model reference, desired state, env, runtimeConfig: command, port, resources, egress hosts,
 * credential names, ...), the target's spec (image, protocol, model provider and name, MCP
 * servers, ...), the runtime's type, config and telemetry endpoint, and the Model's spec when given.
 * It ignores what does not change the sandbox: key order, labels, annotations, timestamps, status,
 * display fields (icons, titles, descriptions), and null or empty fields the registry may omit.
 *
 * @throws InvalidArgumentError naming the field when a resource does not have the registry's shape.
 */
export function desiredFingerprint(input: FingerprintInput): string {
  if (typeof input !== "object" || input === null)
    invalidField("input", "must be an object { deployment, target, runtime }");
  if (input.deployment === undefined || input.deployment === null) invalidField("deployment", "is required");
  const deployment = parseOrThrow(deploymentSchema, input.deployment, "deployment");
  const target = parseTarget(input.target);
  if (input.runtime === undefined || input.runtime === null) invalidField("runtime", "is required");
  const runtime = parseOrThrow(runtimeSchema, input.runtime, "runtime");
  const model = input.model === undefined ? undefined : parseOrThrow(modelSchema, input.model, "model");
  const { env, runtimeConfig, desiredState, ...spec } = deployment.spec;
  const { iconUrl: _icon, ...modelSpec } = model?.spec ?? {};
  const document = {
    version: VERSION,
    deployment: {
      name: deployment.metadata.name,
      namespace: namespaceOf(deployment.metadata),
      uid: deployment.metadata.uid || undefined,
      desiredState: desiredState === "undeployed" ? "undeployed" : "deployed",
      spec: pruned(spec),
      env: nonEmptyMap(env),
      runtimeConfig: nonEmptyMap(runtimeConfig),
    },
    target: {
      kind: target.kind,
      name: target.metadata.name,
      namespace: namespaceOf(target.metadata),
      tag: target.metadata.tag || undefined,
      spec: targetSpec(target),
    },
    runtime: pruned({ ...runtime.spec, config: undefined }),
    runtimeConfig: nonEmptyMap(runtime.spec.config),
    model:
      model === undefined
        ? undefined
        : { name: model.metadata.name, namespace: namespaceOf(model.metadata), spec: pruned(modelSpec) },
  };
  return createHash("sha256").update(canonicalJson(document)).digest("hex");
}
