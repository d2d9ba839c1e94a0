/** Public surface of `os.providers`, for the package entry point to re-export. */
export type { ProviderInfo } from "./provider-info.js";
export type {
  CreateProviderInput,
  ListProvidersOptions,
  SandboxProviderOptions,
  UpdateProviderInput,
} from "./provider-options.js";
export type { ProviderService } from "./provider-service.js";
export type { KnownProviderType, ProviderType } from "./provider-type.js";
