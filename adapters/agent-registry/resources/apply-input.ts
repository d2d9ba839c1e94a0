import { type Agent, agentSchema } from "./agent.js";
import { type Deployment, deploymentSchema } from "./deployment.js";
import { type MCPServer, mcpServerSchema } from "./mcp-server.js";
import {
  type GatewaySelection,
  gatewaySelection,
  type OpenShellDeploymentConfig,
  openShellDeploymentConfigSchema,
  openShellRuntimeConfigSchema,
} from "./openshell-config.js";
import { invalidField, parseOrThrow } from "./parse.js";
import { type Runtime, runtimeSchema } from "./runtime.js";

/** `Runtime.spec.type` this adapter serves (the registry matches it exactly). */
export const OPENSHELL_RUNTIME_TYPE = "OpenShell";

/** The target kinds this adapter deploys. */
export const SUPPORTED_TARGET_KINDS = ["Agent", "MCPServer"] as const;

/** `"Agent"` or `"MCPServer"`. */
export type TargetKind = (typeof SUPPORTED_TARGET_KINDS)[number];

/** What a Deployment deploys. */
export type Target = Agent | MCPServer;

/** An apply request, validated: the registry's resources plus what the adapter reads from them. */
export interface ApplyInput {
  /** The Deployment being applied. */
  deployment: Deployment;
  /** The Agent or MCPServer it names. */
  target: Target;
  /** The Runtime it names (`spec.type: OpenShell`). */
  runtime: Runtime;
  /** The OpenShell keys of `deployment.spec.runtimeConfig`. */
  config: OpenShellDeploymentConfig;
  /** The gateway `runtime.spec.config` selects. */
  gateway: GatewaySelection;
  /** The image the sandbox runs. */
  image: string;
}

/** A remove request, validated. */
export interface RemoveInput {
  /** The Deployment being removed. */
  deployment: Deployment;
  /** The Runtime it ran on. */
  runtime: Runtime;
  /** The gateway `runtime.spec.config` selects. */
  gateway: GatewaySelection;
}

function record(input: unknown, what: string): Record<string, unknown> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    invalidField("input", `must be an object { ${what} }`);
  }
  return input as Record<string, unknown>;
}

function required(value: unknown, field: string, what: string): unknown {
  if (value === undefined || value === null) invalidField(field, `is required: ${what}`);
  return value;
}

function isSupportedKind(kind: string): kind is TargetKind {
  return (SUPPORTED_TARGET_KINDS as readonly string[]).includes(kind);
}

function unsupportedKind(field: string, kind: string): never {
  return invalidField(field, `unsupported target kind "${kind}": this adapter deploys Agent and MCPServer`);
}

function parseRuntime(value: unknown): { runtime: Runtime; gateway: GatewaySelection } {
  const runtime = parseOrThrow(
    runtimeSchema,
    required(value, "runtime", "the Runtime the deployment's runtimeRef names"),
    "runtime",
  );
  if (runtime.spec.type !== OPENSHELL_RUNTIME_TYPE) {
    invalidField(
      "runtime.spec.type",
      `is "${runtime.spec.type}"; this adapter serves "${OPENSHELL_RUNTIME_TYPE}"`,
    );
  }
  const config = parseOrThrow(openShellRuntimeConfigSchema, runtime.spec.config ?? {}, "runtime.spec.config");
  return { runtime, gateway: gatewaySelection(config) };
}

function parseDeployment(value: unknown): Deployment {
  return parseOrThrow(
    deploymentSchema,
    required(value, "deployment", "the Deployment to act on"),
    "deployment",
  );
}

function parseTarget(value: unknown, deployment: Deployment): Target {
  const ref = deployment.spec.targetRef;
  if (!isSupportedKind(ref.kind)) unsupportedKind("deployment.spec.targetRef.kind", ref.kind);
  const raw = required(value, "target", `the ${ref.kind} named by deployment.spec.targetRef`);
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind === "string" && !isSupportedKind(kind)) unsupportedKind("target.kind", kind);
  const target: Target =
    kind === "MCPServer"
      ? parseOrThrow(mcpServerSchema, raw, "target")
      : parseOrThrow(agentSchema, raw, "target");
  if (target.kind !== ref.kind) {
    invalidField("target.kind", `is ${target.kind} but deployment.spec.targetRef names a ${ref.kind}`);
  }
  if (target.metadata.name !== ref.name) {
    invalidField(
      "target.metadata.name",
      `is "${target.metadata.name}" but deployment.spec.targetRef names "${ref.name}"`,
    );
  }
  return target;
}

/** The image a target runs, or an error naming the field that should hold it. */
function imageOf(target: Target): string {
  if (target.kind === "Agent") {
    const image = target.spec.source?.image;
    if (image === undefined || image === "") {
      invalidField(
        "target.spec.source.image",
        `Agent "${target.metadata.name}" has no image: build and push one, then set spec.source.image`,
      );
    }
    return image;
  }
  const pkg = target.spec.source?.package;
  if (pkg === undefined) {
    const what =
      target.spec.remote !== undefined
        ? "is remote-only (spec.remote): it runs elsewhere, so there is nothing to deploy; agents reach it at its URL"
        : "has no spec.source.package to run";
    invalidField("target.spec.source.package", `MCPServer "${target.metadata.name}" ${what}`);
  }
  if (pkg.registryType !== "oci") {
    invalidField(
      "target.spec.source.package.registryType",
      `is "${pkg.registryType}"; this adapter runs MCP servers packaged as OCI images (registryType "oci")`,
    );
  }
  return pkg.version !== undefined &&
    pkg.version !== "" &&
    !pkg.identifier.includes(":") &&
    !pkg.identifier.includes("@")
    ? `${pkg.identifier}:${pkg.version}`
    : pkg.identifier;
}

/**
 * Validates an apply request before anything is touched: a missing deployment, target or runtime,
 * a target of another kind than the deployment names, an unsupported kind, a runtime of another
 * type, wrong types in `runtimeConfig`, a remote-only MCP server or an agent without an image each
 * throw an InvalidArgumentError whose `field` names what to fix.
 */
export function parseApplyInput(input: unknown): ApplyInput {
  const raw = record(input, "deployment, target, runtime");
  const deployment = parseDeployment(raw.deployment);
  const target = parseTarget(raw.target, deployment);
  const { runtime, gateway } = parseRuntime(raw.runtime);
  const config = parseOrThrow(
    openShellDeploymentConfigSchema,
    deployment.spec.runtimeConfig ?? {},
    "deployment.spec.runtimeConfig",
  );
  return { deployment, target, runtime, config, gateway, image: imageOf(target) };
}

/** Validates a remove request (`{ deployment, runtime }`), as {@link parseApplyInput} does. */
export function parseRemoveInput(input: unknown): RemoveInput {
  const raw = record(input, "deployment, runtime");
  const deployment = parseDeployment(raw.deployment);
  return { deployment, ...parseRuntime(raw.runtime) };
}
