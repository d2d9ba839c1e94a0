import { ProtocolError } from "../../errors.js";
import {
  type ProviderCredentialRefreshStatus,
  ProviderCredentialRefreshStrategy,
  type ProviderProfile,
  ProviderProfileCategory,
} from "../../gen/openshell/v1/provider_profiles_pb.js";

/** What a provider profile is for, as the gateway classifies it. */
export type ProviderProfileCategoryName =
  | "unspecified"
  | "other"
  | "inference"
  | "agent"
  | "source-control"
  | "messaging"
  | "data"
  | "knowledge";

/** One credential a profile's providers carry, described (never its value). */
export interface ProviderProfileCredentialInfo {
  /** The credential key, e.g. `OPENAI_API_KEY`. */
  name: string;
  description: string;
  /** Environment variables the credential is read from when discovered locally. */
  envVars: string[];
  required: boolean;
  /** How the credential is presented upstream (`bearer`, `header`, `query`, ...). */
  authStyle: string;
  /** The refresh strategy the profile declares for it, when it declares one. */
  refreshStrategy?: RefreshStrategyName;
}

/**
 * A provider profile: the definition of a provider type (`type` of {@link ProviderInfo}), with the
 * credentials it carries and the endpoints its sandboxes may reach.
 */
export interface ProviderProfileInfo {
  /** The profile id, kebab-case; providers name it as their `type`. */
  id: string;
  displayName: string;
  description: string;
  category: ProviderProfileCategoryName;
  credentials: ProviderProfileCredentialInfo[];
  /** Hosts the profile's network policy lets sandboxes reach, as `host:port` (port omitted when 0). */
  endpoints: string[];
  /** Whether providers of this type can back an inference route. */
  inferenceCapable: boolean;
  /** `"builtin"` (shipped with the gateway) or `"user"` (imported). */
  source: string;
  /** `"platform"` or the workspace the profile belongs to. */
  scope: string;
  /** Optimistic-concurrency version (a uint64, kept exact). */
  resourceVersion: bigint;
}

/** How a credential is refreshed (SEMANTICS §14). */
export type RefreshStrategyName =
  | "unspecified"
  | "static"
  | "external"
  | "oauth2-refresh-token"
  | "oauth2-client-credentials"
  | "google-service-account-jwt"
  | "aws-sts-assume-role";

/** The refresh state of one credential key of a provider. No credential value is ever part of it. */
export interface CredentialRefreshStatus {
  providerName: string;
  providerId: string;
  credentialKey: string;
  strategy: RefreshStrategyName;
  /** The gateway's word for the state, e.g. `"configured"`, `"active"`, `"failed"`. */
  status: string;
  /** When the current credential expires; undefined when the gateway does not know. */
  expiresAt?: Date;
  /** When the gateway's worker next refreshes it; undefined when none is scheduled. */
  nextRefreshAt?: Date;
  /** When it was last minted; undefined when never. */
  lastRefreshAt?: Date;
  /** The last refresh failure, `""` when the last attempt succeeded or none was made. */
  lastError: string;
}

const strategyNames: Record<ProviderCredentialRefreshStrategy, RefreshStrategyName> = {
  [ProviderCredentialRefreshStrategy.UNSPECIFIED]: "unspecified",
  [ProviderCredentialRefreshStrategy.STATIC]: "static",
  [ProviderCredentialRefreshStrategy.EXTERNAL]: "external",
  [ProviderCredentialRefreshStrategy.OAUTH2_REFRESH_TOKEN]: "oauth2-refresh-token",
  [ProviderCredentialRefreshStrategy.OAUTH2_CLIENT_CREDENTIALS]: "oauth2-client-credentials",
  [ProviderCredentialRefreshStrategy.GOOGLE_SERVICE_ACCOUNT_JWT]: "google-service-account-jwt",
  [ProviderCredentialRefreshStrategy.AWS_STS_ASSUME_ROLE]: "aws-sts-assume-role",
};

/** The wire value of a strategy name. */
export function strategyValue(name: RefreshStrategyName): ProviderCredentialRefreshStrategy {
  const entry = Object.entries(strategyNames).find(([, n]) => n === name);
  return Number(entry?.[0] ?? 0) as ProviderCredentialRefreshStrategy;
}

/** A strategy name; a value newer than this SDK reads as "unspecified". */
export function strategyName(value: ProviderCredentialRefreshStrategy): RefreshStrategyName {
  return strategyNames[value] ?? "unspecified";
}

const categoryNames: Record<ProviderProfileCategory, ProviderProfileCategoryName> = {
  [ProviderProfileCategory.UNSPECIFIED]: "unspecified",
  [ProviderProfileCategory.OTHER]: "other",
  [ProviderProfileCategory.INFERENCE]: "inference",
  [ProviderProfileCategory.AGENT]: "agent",
  [ProviderProfileCategory.SOURCE_CONTROL]: "source-control",
  [ProviderProfileCategory.MESSAGING]: "messaging",
  [ProviderProfileCategory.DATA]: "data",
  [ProviderProfileCategory.KNOWLEDGE]: "knowledge",
};

/** Curates a ProviderProfile; `rpc` names the call in the error for a missing profile. */
export function toProviderProfileInfo(
  profile: ProviderProfile | undefined,
  rpc: string,
): ProviderProfileInfo {
  if (!profile) throw new ProtocolError(`${rpc}: the gateway answered without a provider profile`);
  return {
    id: profile.id,
    displayName: profile.displayName,
    description: profile.description,
    category: categoryNames[profile.category] ?? "unspecified",
    credentials: profile.credentials.map((c) => ({
      name: c.name,
      description: c.description,
      envVars: [...c.envVars],
      required: c.required,
      authStyle: c.authStyle,
      ...(c.refresh ? { refreshStrategy: strategyName(c.refresh.strategy) } : {}),
    })),
    endpoints: profile.endpoints.map((e) => (e.port ? `${e.host}:${e.port}` : e.host)),
    inferenceCapable: profile.inferenceCapable,
    source: profile.source,
    scope: profile.scope,
    resourceVersion: profile.resourceVersion,
  };
}

const when = (ms: bigint) => (ms > 0n ? new Date(Number(ms)) : undefined);

/** Curates a refresh status; `rpc` names the call in the error for a missing one. */
export function toRefreshStatus(
  status: ProviderCredentialRefreshStatus | undefined,
  rpc: string,
): CredentialRefreshStatus {
  if (!status) throw new ProtocolError(`${rpc}: the gateway answered without a refresh status`);
  const out: CredentialRefreshStatus = {
    providerName: status.providerName,
    providerId: status.providerId,
    credentialKey: status.credentialKey,
    strategy: strategyName(status.strategy),
    status: status.status,
    lastError: status.lastError,
  };
  const expiresAt = when(status.expiresAtMs);
  const nextRefreshAt = when(status.nextRefreshAtMs);
  const lastRefreshAt = when(status.lastRefreshAtMs);
  if (expiresAt) out.expiresAt = expiresAt;
  if (nextRefreshAt) out.nextRefreshAt = nextRefreshAt;
  if (lastRefreshAt) out.lastRefreshAt = lastRefreshAt;
  return out;
}
