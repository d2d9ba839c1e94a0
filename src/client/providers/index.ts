/** Public surface of `os.providers`, for the package entry point to re-export. */

export type { CredentialRefreshService } from "./credential-refresh-service.js";
export type { ProviderInfo } from "./provider-info.js";
export type {
  CreateProviderInput,
  ListProvidersOptions,
  SandboxProviderOptions,
  UpdateProviderInput,
} from "./provider-options.js";
export type {
  CredentialRefreshStatus,
  ProviderProfileCategoryName,
  ProviderProfileCredentialInfo,
  ProviderProfileInfo,
  RefreshStrategyName,
} from "./provider-profile-info.js";
export type {
  ProfileBinaryInit,
  ProfileCredentialInput,
  ProfileCredentialRefreshInput,
  ProfileEndpointInit,
  ProfileTokenGrantInit,
  ProviderProfileInput,
} from "./provider-profile-input.js";
export type {
  ConfigurableRefreshStrategy,
  ConfigureRefreshInput,
  ListProviderProfilesOptions,
  ProfileScopeOptions,
  UpdateProviderProfileOptions,
} from "./provider-profile-options.js";
export {
  formatProfileDiagnostics,
  type ImportProviderProfilesResult,
  type LintProviderProfilesResult,
  type ProviderProfileDiagnosticInfo,
  type UpdateProviderProfileResult,
} from "./provider-profile-results.js";
export type { ProviderProfileService } from "./provider-profile-service.js";
export type { ProviderService } from "./provider-service.js";
export type { KnownProviderType, ProviderType } from "./provider-type.js";
