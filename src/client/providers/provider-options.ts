import { z } from "zod";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import {
  envKeySchema,
  objectNameSchema,
  uint32Schema,
  workspaceSchema,
  workspaceScopedListSchema,
} from "../validation/common-schemas.js";
import type { ProviderType } from "./provider-type.js";

/** Input of {@link ProviderService.create}. */
export interface CreateProviderInput extends WorkspaceOptions {
  /** Provider name, unique in its workspace: letters, digits, `.`, `_` or `-`. */
  name: string;
  /** What the provider is for; fixed once created. */
  type: ProviderType;
  /**
   * Secrets by environment-variable name (`{ OPENAI_API_KEY: "sk-..." }`). Write-only: the gateway
   * never returns them, and the SDK keeps no copy after the call.
   */
  credentials?: Record<string, string>;
  /** Non-secret settings (`{ OPENAI_BASE_URL: "https://..." }`). */
  config?: Record<string, string>;
}

/** Input of {@link ProviderService.update}. */
export interface UpdateProviderInput extends WorkspaceOptions {
  /**
   * Credentials to merge into the provider's: a key given here replaces that credential, a key given
   * with the empty string `""` deletes it, and keys not given stay as they are.
   */
  credentials?: Record<string, string>;
  /** Config entries to merge, with the same rules as `credentials` (`""` deletes a key). */
  config?: Record<string, string>;
  /**
   * Fail with `ConflictError` unless the provider is still at this `resourceVersion` (from a
   * {@link ProviderInfo} you read). Omit to update whatever the current version is.
   */
  expectedResourceVersion?: bigint;
}

/** Options of {@link ProviderService.list}. */
export interface ListProvidersOptions extends WorkspaceOptions, RequestOptions {
  /** Page size; 0 or omitted lets the gateway choose. */
  limit?: number;
  offset?: number;
  /** Every workspace you can see (not together with `workspace`). */
  allWorkspaces?: boolean;
}

/** Options of {@link ProviderService.attach} and {@link ProviderService.detach}. */
export interface SandboxProviderOptions extends WorkspaceOptions, RequestOptions {
  /** Fail with `ConflictError` unless the sandbox is still at this `resourceVersion`. */
  expectedResourceVersion?: bigint;
}

const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");

// Credentials reach the sandbox as environment variables, hence the env-key rule. The value checks
// use fixed messages: zod never echoes the offending value into them.
const credentialKeySchema = envKeySchema.refine((k) => utf8Bytes(k) <= 256, "key must be at most 256 bytes");
const configKeySchema = z
  .string()
  .min(1, "key must not be empty")
  .max(256, "key must be at most 256 characters");

const createdCredentialsSchema = z.record(credentialKeySchema, z.string().min(1, "value must not be empty"));
const mergedCredentialsSchema = z.record(credentialKeySchema, z.string());
const configSchema = z.record(configKeySchema, z.string());

const uint64Schema = z
  .bigint()
  .min(0n, "must not be negative")
  .max(18_446_744_073_709_551_615n, "must fit in a uint64")
  .optional();

export const createProviderSchema = z.object({
  name: objectNameSchema,
  type: z.string({ error: "is required" }).trim().min(1, "is required"),
  credentials: createdCredentialsSchema.optional(),
  config: configSchema.optional(),
  workspace: workspaceSchema,
});

export const updateProviderSchema = z.object({
  credentials: mergedCredentialsSchema.optional(),
  config: configSchema.optional(),
  expectedResourceVersion: uint64Schema,
  workspace: workspaceSchema,
});

export const listProvidersSchema = workspaceScopedListSchema({
  limit: uint32Schema.optional(),
  offset: uint32Schema.optional(),
});

export const expectedVersionSchema = uint64Schema;
