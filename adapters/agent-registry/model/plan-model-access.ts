import { InvalidArgumentError, type ProviderType } from "openshell";
import { ModelAccessError } from "../errors.js";
import { type DeploymentMetadataLike, sandboxNameFor } from "../naming/sandbox-name.js";
import type { Target } from "../resources/apply-input.js";
import type { Deployment } from "../resources/deployment.js";
import type { Model } from "../resources/model.js";
import type { OpenShellDeploymentConfig } from "../resources/openshell-config.js";
import { DEFAULT_EGRESS_PORT, type EgressHost } from "./egress-host.js";
import { type ProcessEnv, resolveCredentials } from "./model-credentials.js";
import { parseModelEndpoint } from "./model-endpoint.js";
import {
  genericProfile,
  MODEL_PROVIDERS,
  type ModelProviderProfile,
  normalizeProvider,
} from "./model-providers.js";

/** An inference route of the gateway, with the type of the provider it names. */
export interface InferenceRouteInfo {
  /** The route's name (`inference.local` for the default route). */
  routeName: string;
  /** The name of the provider that serves it. */
  provider: string;
  /** That provider's type (`anthropic`, `openai`, ...). */
  providerType: string;
  /** The model the route sends every request to, whatever the agent asks for. */
  model: string;
}

/** The OpenShell provider a deployment's agent gets its model credentials from. */
export interface ModelProviderPlan {
  /** Deterministic per deployment: {@link modelProviderNameFor}. */
  name: string;
  /** The OpenShell provider type. */
  type: ProviderType;
  /** Credentials by key, read from the adapter's environment. Printing the plan shows them redacted. */
  credentials: Record<string, string>;
  /** Non-secret settings (a base URL, a region). */
  config: Record<string, string>;
}

/** What every model access plan says, whichever way the agent reaches its model. */
export interface ModelAccessPlanCommon {
  /** The registry's provider name, lower case (`anthropic`, `bedrock`). */
  modelProvider: string;
  /** The model the agent will be answered by, when known. */
  model?: string;
  /** Hosts the agent's egress policy must allow for its model (empty through `inference.local`). */
  hosts: EgressHost[];
  /** Non-secret variables for the sandbox: MODEL_PROVIDER, MODEL_NAME, base URL, region. */
  env: Record<string, string>;
}

/**
 * How a deployed agent reaches its model: either with an OpenShell provider holding its
 * credentials and egress to the model host, or through the gateway's `inference.local` route, with
 * no credentials and no model host of its own.
 */
export type ModelAccessPlan =
  | (ModelAccessPlanCommon & { viaInference: false; provider: ModelProviderPlan })
  | (ModelAccessPlanCommon & { viaInference: true; route: InferenceRouteInfo });

/** Input of {@link planModelAccess}. */
export interface PlanModelAccessInput {
  /** The Deployment (its metadata names the provider; `spec.modelRef` says a Model is wanted). */
  deployment: Deployment;
  /** The Agent (its deprecated `spec.modelProvider` / `spec.modelName`) or MCPServer. */
  target: Target;
  /** The Model `deployment.spec.modelRef` names, when the caller read it from the registry. */
  model?: Model;
  /** The deployment's validated `runtimeConfig` (`credentialEnv`). */
  config: Pick<OpenShellDeploymentConfig, "credentialEnv">;
  /** The adapter's environment, where the credentials are (`process.env`). Never copied to the sandbox. */
  env: ProcessEnv;
  /** The gateway's inference routes (`readInferenceRoutes`); none means raw credentials. */
  inferenceRoutes?: readonly InferenceRouteInfo[];
}

/** Suffix of the provider name, after the deployment's sandbox name. */
const PROVIDER_SUFFIX = "-model";

/**
 * The name of the OpenShell provider made for a deployment's model credentials: its sandbox name
 * plus `-model` (`ar-echo-ag-k3v9q2xa-model`), so that remove finds and deletes that deployment's
 * provider only, without a plan and without local state.
 */
export function modelProviderNameFor(deployment: DeploymentMetadataLike): string {
  return `${sandboxNameFor(deployment)}${PROVIDER_SUFFIX}`;
}

interface ModelChoice {
  provider: string;
  model?: string;
  /** The field the provider came from, for messages. */
  field: string;
  /** The Model it came from, if it did. */
  resource?: Model;
}

/** The Model wins over the Agent's deprecated fields; a Model named but not given is an error. */
function chooseModel(input: PlanModelAccessInput): ModelChoice | undefined {
  const { deployment, target, model } = input;
  const ref = deployment.spec.modelRef;
  if (model !== undefined) {
    if (ref !== undefined && model.metadata.name !== ref.name) {
      throw new InvalidArgumentError(
        `invalid model.metadata.name: is "${model.metadata.name}" but deployment.spec.modelRef names "${ref.name}"`,
        { field: "model.metadata.name" },
      );
    }
    return {
      provider: model.spec.provider,
      model: model.spec.model,
      field: "model.spec.provider",
      resource: model,
    };
  }
  const agentProvider = target.kind === "Agent" ? target.spec.modelProvider?.trim() : undefined;
  if (target.kind === "Agent" && agentProvider !== undefined && agentProvider !== "") {
    const modelName = target.spec.modelName?.trim();
    return {
      provider: agentProvider,
      ...(modelName === undefined || modelName === "" ? {} : { model: modelName }),
      field: "target.spec.modelProvider",
    };
  }
  if (ref !== undefined) {
    throw new ModelAccessError(
      "ModelNotResolved",
      `deployment.spec.modelRef names Model "${ref.name}", which was not given to the adapter, and the ` +
        `${target.kind} names no modelProvider: pass the Model (read it from the registry), or remove modelRef`,
      { field: "deployment.spec.modelRef" },
    );
  }
  return undefined;
}

function inferencePlan(
  name: string,
  profile: ModelProviderProfile,
  route: InferenceRouteInfo,
): ModelAccessPlan {
  const baseUrl = profile.inferenceBaseUrl as string;
  const env: Record<string, string> = {
    MODEL_PROVIDER: name,
    MODEL_NAME: route.model,
    MODEL_BASE_URL: baseUrl,
    ...(profile.baseUrlKey === undefined ? {} : { [profile.baseUrlKey]: baseUrl }),
  };
  // Not a secret: SDKs refuse to start without a key, and inference.local drops whatever key the
  // sandbox sends and adds the route provider's own.
  const key = profile.credentials[0]?.key;
  if (key !== undefined) env[key] = "inference.local";
  return { viaInference: true, route, modelProvider: name, model: route.model, hosts: [], env };
}

/**
 * Plans how a deployed agent reaches its model; `undefined` when it uses none (no Model, no
 * `modelRef`, no `modelProvider`). The Model (from `modelRef`) wins over the Agent's deprecated
 * `modelProvider`/`modelName`.
 *
 * - With an inference route whose provider serves this provider's API (and no Model base URL that
 *   points elsewhere): `viaInference`, the agent pointed at `https://inference.local`, no provider
 *   and no model host in its egress. The route decides the model.
 * - Otherwise an OpenShell provider (type from {@link MODEL_PROVIDERS}; `generic` for a provider
 *   the adapter does not know, which then needs a Model `endpoint.baseUrl`), named per deployment,
 *   with credentials read from `env` (the variables `config.credentialEnv` names, else the
 *   provider's usual ones), and egress to the model host on 443 (or the base URL's host and port).
 *
 * Secrets go only into `provider.credentials`; `env` (the sandbox's environment) holds none.
 *
 * @throws ModelAccessError with a condition `reason` and the `field` to change (missing
 *   credentials, unknown provider, Bedrock without region, bad base URL, `passthrough` auth, Model
 *   not given); messages never hold a credential value.
 */
export function planModelAccess(input: PlanModelAccessInput): ModelAccessPlan | undefined {
  const choice = chooseModel(input);
  if (choice === undefined) return undefined;
  const model = choice.resource;
  const auth = model?.spec.auth;
  if (auth?.strategy === "passthrough") {
    throw new ModelAccessError(
      "UnsupportedModelAuth",
      `model.spec.auth.strategy "passthrough" forwards a caller's token, which a deployed agent does not have: ` +
        `use strategy "runtime" and give the credentials through the adapter's environment`,
      { field: "model.spec.auth.strategy" },
    );
  }
  const name = normalizeProvider(choice.provider);
  const known = Object.hasOwn(MODEL_PROVIDERS, name) ? MODEL_PROVIDERS[name] : undefined;
  const profile = known ?? genericProfile(name);
  const endpoint =
    model?.spec.endpoint?.baseUrl === undefined || model.spec.endpoint.baseUrl === ""
      ? undefined
      : parseModelEndpoint(model.spec.endpoint.baseUrl);
  const region = model?.spec.endpoint?.region?.trim() || undefined;

  const route =
    endpoint === undefined && profile.inferenceTypes !== undefined
      ? input.inferenceRoutes?.find((r) => profile.inferenceTypes?.includes(r.providerType))
      : undefined;
  if (route !== undefined) return inferencePlan(name, profile, route);

  if (profile.needsRegion && endpoint === undefined && region === undefined) {
    throw new ModelAccessError(
      "MissingModelEndpoint",
      `model provider "${name}" is reached in an AWS region: set model.spec.endpoint.region (for example ` +
        `us-east-1), or model.spec.endpoint.baseUrl`,
      { field: "model.spec.endpoint.region" },
    );
  }
  const fixedHost = profile.host?.(region);
  const host: EgressHost | undefined =
    endpoint?.egress ??
    (fixedHost === undefined ? undefined : { host: fixedHost, port: DEFAULT_EGRESS_PORT });
  if (host === undefined) {
    throw new ModelAccessError(
      "UnknownModelProvider",
      `${choice.field} "${choice.provider}" is not a model provider the adapter knows (${Object.keys(MODEL_PROVIDERS).join(", ")}), ` +
        "and no endpoint says where it is: use one of those, or reference a Model whose spec.endpoint.baseUrl gives its API root",
      { field: choice.field },
    );
  }

  const credentials = resolveCredentials(profile, input.config.credentialEnv, input.env, {
    provider: name,
    ...(auth?.secretRef === undefined ? {} : { secretRef: auth.secretRef.name }),
  });
  const config: Record<string, string> = {};
  const env: Record<string, string> = { MODEL_PROVIDER: name };
  if (choice.model !== undefined) env.MODEL_NAME = choice.model;
  if (endpoint !== undefined) {
    const key = profile.baseUrlKey ?? "MODEL_BASE_URL";
    config[key] = endpoint.url;
    Object.assign(env, { MODEL_BASE_URL: endpoint.url, [key]: endpoint.url });
  }
  if (region !== undefined && profile.needsRegion) {
    config.AWS_REGION = region;
    env.AWS_REGION = region;
  }
  return {
    viaInference: false,
    provider: { name: modelProviderNameFor(input.deployment), type: profile.type, credentials, config },
    modelProvider: name,
    ...(choice.model === undefined ? {} : { model: choice.model }),
    hosts: [host],
    env,
  };
}
