import type { OpenShell } from "openshell";
import { z } from "zod";
import type { Model } from "../resources/model.js";
import type { PrepareModelAccess } from "./deploy-sandbox.js";

/** Options of {@link OpenShellDeploymentAdapter}. */
export interface OpenShellDeploymentAdapterOptions {
  /** The gateway to deploy on: `await OpenShell.connect()` or `await OpenShell.local()`. */
  client: OpenShell;
  /**
   * Where model credentials are read by variable name (`runtimeConfig.credentialEnv`, or the
   * provider's usual names such as `ANTHROPIC_API_KEY`). Default `process.env`. Values are sent to
   * the gateway as a provider's credentials only: never logged, never in a sandbox's env.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Reads the Model a deployment's `spec.modelRef` names (for example with a `RegistryClient`).
   * Without it, an apply input may carry `model` itself, and otherwise the Agent's
   * `spec.modelProvider` and `spec.modelName` are used.
   */
  resolveModel?: (
    ref: { name: string; tag?: string; namespace?: string },
    options: { signal: AbortSignal },
  ) => Promise<Model | unknown>;
  /** The agent's port when `runtimeConfig.port` is unset. Default 8080 (the registry's A2A tooling). */
  defaultPort?: number;
  /** How long an agent may take to answer once its sandbox is ready, unless `runtimeConfig.readinessTimeoutSeconds` says. Default 300000. */
  readinessTimeoutMs?: number;
  /** Bounds each gateway call of a deploy (create, list, delete). Default 60000. */
  callTimeoutMs?: number;
  /** @internal Replaces model access preparation (tests). */
  prepareModelAccess?: PrepareModelAccess;
}

export const adapterOptionsSchema = z
  .object({
    client: z.custom<OpenShell>(
      (value) => typeof value === "object" && value !== null && "sandboxes" in value && "providers" in value,
      "must be an OpenShell client (await OpenShell.connect() or OpenShell.local())",
    ),
    env: z.record(z.string(), z.string().optional()).optional(),
    resolveModel: z
      .custom<OpenShellDeploymentAdapterOptions["resolveModel"]>(
        (v) => typeof v === "function",
        "must be a function",
      )
      .optional(),
    defaultPort: z.number().int().min(1).max(65_535).optional(),
    readinessTimeoutMs: z.number().int().positive().max(3_600_000).optional(),
    callTimeoutMs: z.number().int().positive().max(3_600_000).optional(),
    prepareModelAccess: z
      .custom<PrepareModelAccess>((v) => typeof v === "function", "must be a function")
      .optional(),
  })
  .strict();
