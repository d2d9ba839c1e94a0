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
export { desiredFingerprint, type FingerprintInput } from "./fingerprint.js";
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
