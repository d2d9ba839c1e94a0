/** Public surface of `os.policy`, for the package entry point to re-export. */
export type {
  GlobalPolicyInfo,
  GlobalPolicyRevisionsOptions,
  GlobalPolicyService,
  GlobalPolicyStatusOptions,
  GlobalPolicyUpdateResult,
  SandboxPolicyInit,
} from "./global-policy-service.js";
export { PolicyLoadError } from "./policy-load-error.js";
export type {
  NetworkPolicyRuleInit,
  PolicyRevisionsOptions,
  PolicySourceName,
  PolicyStatusOptions,
  PolicyUpdateResult,
  PolicyWaitOptions,
  SandboxPolicyConfig,
  UpdatePolicyInput,
} from "./policy-options.js";
export type { PolicyRevisionInfo, PolicyRevisionStatus } from "./policy-revision.js";
export type { PolicyService, PolicyStatusInfo, SandboxIdResolver } from "./policy-service.js";
export type {
  EffectiveSettingInfo,
  GatewaySettingsInfo,
  SandboxSettingsInfo,
  SettingChangeResult,
  SettingInput,
  SettingOptions,
  SettingScopeName,
  SettingValueType,
} from "./policy-settings.js";
export type { PolicySettingsService } from "./policy-settings-service.js";
