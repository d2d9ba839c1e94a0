import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { z } from "zod";
import { NetworkBinarySchema, NetworkEndpointSchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  type ProviderProfile,
  ProviderProfileCategory,
  type ProviderProfileImportItem,
  ProviderProfileImportItemSchema,
  ProviderProfileSchema,
  ProviderCredentialTokenGrantSchema as TokenGrantSchema,
} from "../../gen/openshell/v1/provider_profiles_pb.js";
import { messageInitSchema } from "../../validation/message-init.js";
import { envKeySchema } from "../validation/common-schemas.js";
import {
  type ProviderProfileCategoryName,
  type RefreshStrategyName,
  strategyValue,
} from "./provider-profile-info.js";
import { profileIdSchema } from "./provider-profile-options.js";

/** A network endpoint a profile's providers may reach: the init shape of the generated `NetworkEndpoint`. */
export type ProfileEndpointInit = MessageInitShape<typeof NetworkEndpointSchema>;
/** A program allowed to reach the endpoints: the init shape of the generated `NetworkBinary`. */
export type ProfileBinaryInit = MessageInitShape<typeof NetworkBinarySchema>;
/** How a credential is exchanged for a token: the init shape of the generated `ProviderCredentialTokenGrant`. */
export type ProfileTokenGrantInit = MessageInitShape<typeof TokenGrantSchema>;

/** How a profile's credential is refreshed, as you write it. */
export interface ProfileCredentialRefreshInput {
  strategy: RefreshStrategyName;
  tokenUrl?: string;
  scopes?: string[];
  /** Refresh this long before the credential expires. */
  refreshBeforeSeconds?: bigint;
  maxLifetimeSeconds?: bigint;
  /** The material a refresh of this credential needs (configured per provider, never here). */
  material?: { name: string; description?: string; required?: boolean; secret?: boolean }[];
  /** Further outputs of a refresh, each stored as another credential of the provider. */
  additionalOutputs?: { output: string; credential: string }[];
}

/** One credential of a profile, as you write it. */
export interface ProfileCredentialInput {
  /** The credential key providers of this type carry, e.g. `ACME_API_KEY`. */
  name: string;
  description?: string;
  /** Environment variables the credential is discovered from locally. */
  envVars?: string[];
  required?: boolean;
  /** How the credential is presented upstream (`bearer`, `header`, `query`, ...). */
  authStyle?: string;
  headerName?: string;
  queryParam?: string;
  pathTemplate?: string;
  refresh?: ProfileCredentialRefreshInput;
  tokenGrant?: ProfileTokenGrantInit;
}

/**
 * A provider profile as you write it, for `os.providers.profiles.import / update / lint`: the
 * definition of a provider type, its credentials and the endpoints its sandboxes may reach. The
 * gateway decides what else is required and reports it as diagnostics, not errors.
 */
export interface ProviderProfileInput {
  /** The profile id, kebab-case; providers of this type name it as their `type`. */
  id: string;
  displayName?: string;
  description?: string;
  category?: ProviderProfileCategoryName;
  credentials?: ProfileCredentialInput[];
  endpoints?: ProfileEndpointInit[];
  binaries?: ProfileBinaryInit[];
  /** Whether providers of this type can back an inference route. */
  inferenceCapable?: boolean;
  /** Credentials discovered from the local environment when a provider of this type is created. */
  discoveryCredentials?: string[];
  annotations?: Record<string, string>;
  /**
   * Where you read this profile from (a file path, say). The gateway repeats it as `origin` in the
   * diagnostics it returns for this profile; it is not stored.
   */
  origin?: string;
}

const categoryValues: Record<ProviderProfileCategoryName, ProviderProfileCategory> = {
  unspecified: ProviderProfileCategory.UNSPECIFIED,
  other: ProviderProfileCategory.OTHER,
  inference: ProviderProfileCategory.INFERENCE,
  agent: ProviderProfileCategory.AGENT,
  "source-control": ProviderProfileCategory.SOURCE_CONTROL,
  messaging: ProviderProfileCategory.MESSAGING,
  data: ProviderProfileCategory.DATA,
  knowledge: ProviderProfileCategory.KNOWLEDGE,
};
const categories = Object.keys(categoryValues) as [
  ProviderProfileCategoryName,
  ...ProviderProfileCategoryName[],
];
const strategies = [
  "unspecified",
  "static",
  "external",
  "oauth2-refresh-token",
  "oauth2-client-credentials",
  "google-service-account-jwt",
  "aws-sts-assume-role",
] as const satisfies readonly RefreshStrategyName[];

const int64Schema = z
  .bigint()
  .min(0n, "must not be negative")
  .max(2n ** 63n - 1n, "must fit in a signed 64-bit integer");

const refreshSchema = z.strictObject({
  strategy: z.enum(strategies, { error: `must be one of ${strategies.join(", ")}` }),
  tokenUrl: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  refreshBeforeSeconds: int64Schema.optional(),
  maxLifetimeSeconds: int64Schema.optional(),
  material: z
    .array(
      z.strictObject({
        name: z.string().min(1, "must not be empty"),
        description: z.string().optional(),
        required: z.boolean().optional(),
        secret: z.boolean().optional(),
      }),
    )
    .optional(),
  additionalOutputs: z
    .array(z.strictObject({ output: z.string().min(1, "must not be empty"), credential: envKeySchema }))
    .optional(),
});

const credentialSchema = z.strictObject({
  name: envKeySchema,
  description: z.string().optional(),
  envVars: z.array(envKeySchema).optional(),
  required: z.boolean().optional(),
  authStyle: z.string().optional(),
  headerName: z.string().optional(),
  queryParam: z.string().optional(),
  pathTemplate: z.string().optional(),
  refresh: refreshSchema.optional(),
  tokenGrant: messageInitSchema(TokenGrantSchema).optional(),
});

/** A profile as the user wrote it: shapes and types here; what the gateway requires, it lints. */
export const profileInputSchema = z.strictObject({
  id: profileIdSchema,
  displayName: z.string().optional(),
  description: z.string().optional(),
  category: z.enum(categories, { error: `must be one of ${categories.join(", ")}` }).optional(),
  credentials: z.array(credentialSchema).optional(),
  endpoints: z.array(messageInitSchema(NetworkEndpointSchema)).optional(),
  binaries: z.array(messageInitSchema(NetworkBinarySchema)).optional(),
  inferenceCapable: z.boolean().optional(),
  discoveryCredentials: z.array(envKeySchema).optional(),
  annotations: z.record(z.string().min(1, "annotation key must not be empty"), z.string()).optional(),
  origin: z.string().optional(),
});

/** The wire form of a checked profile. */
export function toProfileMessage(input: ProviderProfileInput): ProviderProfile {
  return create(ProviderProfileSchema, {
    id: input.id,
    displayName: input.displayName ?? "",
    description: input.description ?? "",
    category: categoryValues[input.category ?? "unspecified"],
    credentials: (input.credentials ?? []).map((c) => ({
      name: c.name,
      description: c.description ?? "",
      envVars: c.envVars ?? [],
      required: c.required ?? false,
      authStyle: c.authStyle ?? "",
      headerName: c.headerName ?? "",
      queryParam: c.queryParam ?? "",
      pathTemplate: c.pathTemplate ?? "",
      ...(c.refresh ? { refresh: { ...c.refresh, strategy: strategyValue(c.refresh.strategy) } } : {}),
      ...(c.tokenGrant ? { tokenGrant: c.tokenGrant } : {}),
    })),
    endpoints: input.endpoints ?? [],
    binaries: input.binaries ?? [],
    inferenceCapable: input.inferenceCapable ?? false,
    ...(input.discoveryCredentials ? { discovery: { credentials: input.discoveryCredentials } } : {}),
    annotations: input.annotations ?? {},
  });
}

/** The import item of a checked profile: the profile and the label diagnostics repeat. */
export function toImportItem(input: ProviderProfileInput): ProviderProfileImportItem {
  return create(ProviderProfileImportItemSchema, {
    profile: toProfileMessage(input),
    source: input.origin ?? "",
  });
}
