import type { OpenShell } from "openshell";
import type { DeploymentMetadataLike } from "../naming/sandbox-name.js";
import { type AgentSandboxPolicy, agentPolicy } from "../policy/agent-policy.js";
import type { ApplyInput } from "../resources/apply-input.js";
import { type Model, modelSchema } from "../resources/model.js";
import { parseOrThrow } from "../resources/parse.js";
import { ensureModelProvider, removeModelProvider } from "./ensure-model-provider.js";
import { readInferenceRoutes } from "./inference-routes.js";
import type { ProcessEnv } from "./model-credentials.js";
import { modelProviderNameFor, planModelAccess } from "./plan-model-access.js";

/** What a deployment's sandbox gets for its model: providers to attach, plain env, and its policy. */
export interface SandboxModelAccess {
  /** Providers to attach at create (the deployment's own, or none through `inference.local`). */
  providers: string[];
  /** Non-secret variables for the agent (MODEL_PROVIDER, MODEL_NAME, base URL, region). */
  env: Record<string, string>;
  /** The sandbox's policy: the model host and `runtimeConfig.egressHosts`, nothing else. */
  policy: AgentSandboxPolicy;
}

/** Where {@link prepareSandboxModelAccess} reads from. */
export interface ModelAccessSources {
  /** The gateway: its inference route is read and the deployment's provider made there. */
  client: Pick<OpenShell, "providers" | "inference">;
  /** The adapter's environment, where the credentials are (`process.env`). */
  env: ProcessEnv;
  /** Reads the Model `deployment.spec.modelRef` names (for example with a `RegistryClient`). */
  resolveModel?: (
    ref: { name: string; tag?: string; namespace?: string },
    options: { signal: AbortSignal },
  ) => Promise<unknown>;
}

async function modelOf(
  input: ApplyInput,
  sources: ModelAccessSources,
  signal: AbortSignal,
): Promise<Model | undefined> {
  const ref = input.deployment.spec.modelRef;
  if (ref === undefined || sources.resolveModel === undefined) return undefined;
  const raw = await sources.resolveModel(
    {
      name: ref.name,
      ...(ref.tag === undefined ? {} : { tag: ref.tag }),
      ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }),
    },
    { signal },
  );
  return raw === undefined ? undefined : parseOrThrow(modelSchema, raw, "model");
}

/**
 * Everything model access needs before a deployment's sandbox is created, in order: the Model its
 * `modelRef` names (through `resolveModel`), the gateway's inference route, the plan
 * (`planModelAccess`), the deployment's provider made or brought up to date (`ensureModelProvider`,
 * unless through `inference.local`), and the agent's policy (`agentPolicy`, also for an agent
 * without a model: its `egressHosts` and nothing else).
 *
 * @throws ModelAccessError with the condition reason and field (missing credentials, unknown
 *   provider, ...); InvalidArgumentError naming the field for a Model that is not valid; the
 *   gateway's errors as they are.
 */
export async function prepareSandboxModelAccess(
  sources: ModelAccessSources,
  input: ApplyInput,
  signal: AbortSignal,
): Promise<SandboxModelAccess> {
  const model = await modelOf(input, sources, signal);
  const inferenceRoutes = await readInferenceRoutes(sources.client, { signal });
  const plan = planModelAccess({
    deployment: input.deployment,
    target: input.target,
    ...(model === undefined ? {} : { model }),
    config: input.config,
    env: sources.env,
    inferenceRoutes,
  });
  const policy = agentPolicy({ hosts: plan?.hosts ?? [], egressHosts: input.config.egressHosts ?? [] });
  if (plan === undefined) return { providers: [], env: {}, policy };
  if (plan.viaInference) return { providers: [], env: plan.env, policy };
  await ensureModelProvider(sources.client, plan, { signal });
  return { providers: [plan.provider.name], env: plan.env, policy };
}

/**
 * Removes the provider made for a deployment's model, if any; after its sandbox is gone (the
 * gateway keeps a provider a sandbox has attached). Idempotent.
 */
export async function removeSandboxModelAccess(
  client: Pick<OpenShell, "providers">,
  deployment: DeploymentMetadataLike,
  signal?: AbortSignal,
): Promise<void> {
  await removeModelProvider(client, modelProviderNameFor(deployment), signal === undefined ? {} : { signal });
}
