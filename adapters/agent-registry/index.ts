/**
 * `openshell/adapters/agent-registry`: deploy agent-registry Deployments (Agents and MCP servers)
 * onto OpenShell sandboxes. Built on the public `openshell` and `openshell/runtime` APIs only.
 *
 * @packageDocumentation
 */

export type { OpenShellDeploymentAdapterOptions } from "./adapter/adapter-options.js";
export type {
  AdapterCallOptions,
  DeploymentAdapter,
  DeploymentStatus,
  LogsRequest,
} from "./adapter/deployment-adapter.js";
export { type DeploymentReason, isDegraded, isReady } from "./adapter/deployment-status.js";
export { OpenShellDeploymentAdapter } from "./adapter/openshell-deployment-adapter.js";
export { ModelAccessError, type ModelAccessReason } from "./errors.js";
export { desiredFingerprint, type FingerprintInput } from "./fingerprint.js";
export type { EgressHost } from "./model/egress-host.js";
export {
  type EnsuredModelProvider,
  ensureModelProvider,
  type ModelProviderOptions,
  type ProviderClient,
  removeModelProvider,
} from "./model/ensure-model-provider.js";
export { type InferenceReader, readInferenceRoutes } from "./model/inference-routes.js";
export type { ProcessEnv } from "./model/model-credentials.js";
export {
  type InferenceRouteInfo,
  type ModelAccessPlan,
  type ModelAccessPlanCommon,
  type ModelProviderPlan,
  modelProviderNameFor,
  type PlanModelAccessInput,
  planModelAccess,
} from "./model/plan-model-access.js";
export {
  type ModelAccessSources,
  prepareSandboxModelAccess,
  removeSandboxModelAccess,
  type SandboxModelAccess,
} from "./model/sandbox-model-access.js";
export {
  type DeploymentIdentity,
  type DeploymentLike,
  deploymentIdentity,
  deploymentSelector,
  IDENTITY_LABELS,
  identityFromLabels,
  identityLabels,
  LABEL_PREFIX,
  MANAGED_BY,
  managedSelector,
  type TargetLike,
} from "./naming/identity.js";
export { type DeploymentMetadataLike, SANDBOX_NAME_PREFIX, sandboxNameFor } from "./naming/sandbox-name.js";
export {
  type AgentNetworkEndpoint,
  type AgentNetworkRule,
  type AgentPolicyInput,
  type AgentSandboxPolicy,
  agentPolicy,
  EGRESS_RULE,
  MODEL_RULE,
} from "./policy/agent-policy.js";
export {
  RegistryError,
  RegistryNotFoundError,
  type RegistryProblem,
  type RegistryProblemDetail,
  type RegistryRequestInfo,
  type RegistryResourceId,
  RegistryResponseError,
  RegistryUnreachableError,
} from "./registry/errors.js";
export { type RegistryLogLine, registryLogLineSchema } from "./registry/registry-answers.js";
export { type DeploymentPage, RegistryClient } from "./registry/registry-client.js";
export type {
  DeploymentLogsOptions,
  GetOptions,
  GetTaggedOptions,
  ListDeploymentsOptions,
} from "./registry/registry-inputs.js";
export {
  DEFAULT_REGISTRY_TIMEOUT_MS,
  DEFAULT_REGISTRY_URL,
  type RegistryClientOptions,
  type RegistryRequestOptions,
} from "./registry/registry-options.js";
export {
  type AdapterApplyResult,
  type AdapterRemoveResult,
  adapterApplyResultSchema,
  adapterRemoveResultSchema,
  type DiscoveredTarget,
  discoveredTargetSchema,
  type LogLine,
  logLineSchema,
  MAX_TAIL_LINES,
} from "./resources/adapter-contract.js";
export {
  type Agent,
  type AgentSpec,
  agentSchema,
  agentSpecSchema,
  type Repository,
  repositorySchema,
} from "./resources/agent.js";
export {
  type ApplyInput,
  OPENSHELL_RUNTIME_TYPE,
  parseApplyInput,
  parseRemoveInput,
  type RemoveInput,
  SUPPORTED_TARGET_KINDS,
  type Target,
  type TargetKind,
} from "./resources/apply-input.js";
export {
  CONDITION_STATUSES,
  type Condition,
  type ConditionStatus,
  type ConditionType,
  type ConditionUpdate,
  conditionSchema,
  findCondition,
  setCondition,
} from "./resources/condition.js";
export {
  type Deployment,
  type DeploymentSpec,
  deploymentSchema,
  deploymentSpecSchema,
  runtimeMetadataAnnotations,
  runtimeMetadataFromAnnotations,
  runtimeMetadataPrefix,
} from "./resources/deployment.js";
export {
  type MCPServer,
  type MCPServerSpec,
  mcpServerSchema,
  mcpServerSpecSchema,
} from "./resources/mcp-server.js";
export {
  namespaceOf,
  type ObjectMeta,
  objectMetaSchema,
  type ResourceRef,
  resourceRefSchema,
  type Status,
  statusSchema,
} from "./resources/meta.js";
export { type Model, type ModelSpec, modelSchema, modelSpecSchema } from "./resources/model.js";
export {
  type GatewaySelection,
  gatewaySelection,
  LOCAL_GATEWAY,
  type OpenShellDeploymentConfig,
  type OpenShellRuntimeConfig,
  openShellDeploymentConfigSchema,
  openShellRuntimeConfigSchema,
} from "./resources/openshell-config.js";
export { type Runtime, type RuntimeSpec, runtimeSchema, runtimeSpecSchema } from "./resources/runtime.js";
export {
  type AdapterServiceClient,
  type AdapterServiceClientOptions,
  connectAdapterService,
} from "./serve/adapter-service-client.js";
export { type AdapterService, serveAdapter } from "./serve/serve-adapter.js";
export { DEFAULT_MAX_BODY_BYTES, type ServeAdapterOptions } from "./serve/serve-options.js";
export { generateServiceToken, MIN_TOKEN_LENGTH } from "./serve/service-token.js";
export { STATUS_CANCELED, type WireErrorBody } from "./serve/wire-errors.js";
