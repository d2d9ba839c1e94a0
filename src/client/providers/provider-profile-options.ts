import { z } from "zod";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import {
  envKeySchema,
  objectNameSchema,
  uint32Schema,
  workspaceSchema,
} from "../validation/common-schemas.js";
import type { RefreshStrategyName } from "./provider-profile-info.js";

/** Options of {@link ProviderProfileService.list}. */
export interface ListProviderProfilesOptions extends WorkspaceOptions, RequestOptions {
  /** Page size; 0 or omitted lets the gateway choose. */
  limit?: number;
  offset?: number;
}

/**
 * Where a profile administration call acts: one workspace (the client's by default), or the
 * platform scope, whose profiles every workspace sees. Platform scope needs a platform admin.
 */
export interface ProfileScopeOptions extends RequestOptions {
  /** The workspace whose profiles change; defaults to the client's. */
  workspace?: string;
  /** Act at platform scope instead of a workspace's (not with `workspace`). */
  platform?: boolean;
}

/** Options of {@link ProviderProfileService.update}. */
export interface UpdateProviderProfileOptions extends ProfileScopeOptions {
  /**
   * The profile's current resource version, from `get`, `list` or a previous import or update
   * (`resourceVersion`). Required: when the profile changed since, the update fails with
   * `ConflictError`.
   */
  expectedResourceVersion: bigint;
}

/** The strategies a refresh can be configured with: the ones the gateway can mint with (SEMANTICS §14). */
export type ConfigurableRefreshStrategy = Extract<
  RefreshStrategyName,
  "oauth2-refresh-token" | "oauth2-client-credentials" | "google-service-account-jwt" | "aws-sts-assume-role"
>;

/** Input of {@link CredentialRefreshService.configure}. */
export interface ConfigureRefreshInput extends WorkspaceOptions {
  /** Name of the provider whose credential is refreshed. */
  provider: string;
  /** The credential key of the provider to keep fresh, e.g. `ACCESS_TOKEN`. */
  credentialKey: string;
  strategy: ConfigurableRefreshStrategy;
  /**
   * What the strategy mints with (a refresh token, client id and secret, a service-account key,
   * a role ARN, ...). Write-only: never returned, never quoted in an error.
   */
  material: Record<string, string>;
  /** Keys of `material` that are secrets; the gateway stores them as it stores credentials. */
  secretMaterialKeys?: string[];
  /** When the credential the provider holds now expires, if you know. */
  expiresAt?: Date;
}

/** Profile ids are kebab-case (SEMANTICS §14). */
export const profileIdSchema = z
  .string()
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters")
  .regex(
    /^[a-z0-9]+(-[a-z0-9]+)*$/,
    "must be kebab-case: lowercase letters and digits separated by single '-'",
  );

const scopeShape = { workspace: workspaceSchema, platform: z.boolean().optional() };
const notBoth = (o: { workspace?: string | undefined; platform?: boolean | undefined }) =>
  !(o.workspace !== undefined && o.platform);
const notBothIssue = { message: "give workspace or platform, not both", path: ["platform"] };

// Loose: signal and timeoutMs are checked where they are used.
export const profileScopeSchema = z.looseObject(scopeShape).refine(notBoth, notBothIssue);

export const updateProfileOptionsSchema = z
  .looseObject({
    ...scopeShape,
    expectedResourceVersion: z
      .bigint({ error: "is required (the profile's resourceVersion, a bigint)" })
      .min(1n, "must be the profile's current resourceVersion (at least 1n)")
      .max(18_446_744_073_709_551_615n, "must fit in a uint64"),
  })
  .refine(notBoth, notBothIssue);

export const listProfilesSchema = z.object({
  limit: uint32Schema.optional(),
  offset: uint32Schema.optional(),
  workspace: workspaceSchema,
});

const configurable = [
  "oauth2-refresh-token",
  "oauth2-client-credentials",
  "google-service-account-jwt",
  "aws-sts-assume-role",
] as const;

export const refreshKeySchema = z.strictObject({
  provider: objectNameSchema,
  credentialKey: envKeySchema,
  workspace: workspaceSchema,
});

export const configureRefreshSchema = z
  .strictObject({
    provider: objectNameSchema,
    credentialKey: envKeySchema,
    strategy: z.enum(configurable, { error: `must be one of ${configurable.join(", ")}` }),
    // Values are deliberately not described in messages: they may be secrets.
    material: z
      .record(z.string().min(1, "material key must not be empty"), z.string())
      .refine((m) => Object.keys(m).length > 0, "must not be empty"),
    secretMaterialKeys: z.array(z.string()).optional(),
    expiresAt: z.date().optional(),
    workspace: workspaceSchema,
  })
  .refine((c) => (c.secretMaterialKeys ?? []).every((k) => k in c.material), {
    message: "every key must be a key of material",
    path: ["secretMaterialKeys"],
  });
