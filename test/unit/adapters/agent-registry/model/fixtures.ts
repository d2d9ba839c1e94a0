import { readFileSync } from "node:fs";
import {
  type Agent,
  agentSchema,
  type Deployment,
  deploymentSchema,
  type Model,
  modelSchema,
} from "openshell/adapters/agent-registry";
import type { PlanModelAccessInput } from "../../../../../adapters/agent-registry/model/plan-model-access.js";

const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));

/** A secret-looking value: what a real Anthropic key looks like, never printed by the adapter. */
export const SECRET = "sk-ant-api03-Zq8yXv3T0pL1mN4bR7wK2sD9fG6hJ5cV8xB1nM3qW0eR2tY4uI6oP8aS-9dF7gH5jK3AA";

/** The registry's A2A agent fixture (modelProvider anthropic), with `spec` changes. */
export function agent(spec: Partial<Agent["spec"]> = {}): Agent {
  const base = agentSchema.parse(load("agent-a2a.json"));
  return { ...base, spec: { ...base.spec, ...spec } };
}

/** The registry's deployment fixture without a modelRef (unless `modelRef` is given). */
export function deployment(modelRef?: Deployment["spec"]["modelRef"]): Deployment {
  const base = deploymentSchema.parse(load("deployment-a2a.json"));
  const { modelRef: _, ...spec } = base.spec;
  return { ...base, spec: modelRef === undefined ? spec : { ...spec, modelRef } };
}

/** The registry's Bedrock Model fixture (region us-east-1, auth secretRef), with `spec` changes. */
export function model(spec: Partial<Model["spec"]> = {}): Model {
  const base = modelSchema.parse(load("model-bedrock.json"));
  return { ...base, spec: { ...base.spec, ...spec } };
}

/** A plan input for the agent fixture with `env` as the adapter's environment. */
export function input(overrides: Partial<PlanModelAccessInput> = {}): PlanModelAccessInput {
  return { deployment: deployment(), target: agent(), config: {}, env: {}, ...overrides };
}
