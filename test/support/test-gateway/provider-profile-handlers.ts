import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  type ProviderCredentialRefreshStatus,
  ProviderCredentialRefreshStatusSchema,
  ProviderCredentialRefreshStrategy as Strategy,
} from "../../../src/gen/openshell/v1/provider_profiles_pb.js";
import { invalid, page, workspaceOf } from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";
import { ProfileCatalog } from "./profile-catalog.js";
import { providerProfileAdminHandlers } from "./provider-profile-admin-handlers.js";

const profilePaging = { defaultLimit: 100, maxLimit: 1000 };
/** The gateway's worker refreshes this long before expiry; a minted credential lives an hour. */
const refreshBeforeMs = 5n * 60_000n;
const mintedLifetimeMs = 3_600_000n;
/** Strategies the gateway can mint with; the others are not configurable (SEMANTICS §14). */
const mintable = new Set([
  Strategy.OAUTH2_REFRESH_TOKEN,
  Strategy.OAUTH2_CLIENT_CREDENTIALS,
  Strategy.GOOGLE_SERVICE_ACCOUNT_JWT,
  Strategy.AWS_STS_ASSUME_ROLE,
]);
/** Material each strategy cannot work without. */
const requiredMaterial: Partial<Record<Strategy, string[]>> = {
  [Strategy.OAUTH2_REFRESH_TOKEN]: ["token_url", "refresh_token"],
  [Strategy.OAUTH2_CLIENT_CREDENTIALS]: ["token_url", "client_id", "client_secret"],
  [Strategy.GOOGLE_SERVICE_ACCOUNT_JWT]: ["service_account_json"],
  [Strategy.AWS_STS_ASSUME_ROLE]: ["role_arn"],
};

interface RefreshRecord {
  status: ProviderCredentialRefreshStatus;
  /** Stored, never answered: the test asserts it is nowhere in a response. */
  material: Record<string, string>;
}

/**
 * ListProviderProfiles and GetProviderProfile over the built-in profiles and those imported (see
 * provider-profile-admin-handlers.ts, which also administers them), and the per-credential
 * refresh calls (SEMANTICS §14) over the test gateway's providers. Minting cannot reach a real token
 * endpoint here: RotateProviderCredential stores a fresh opaque value in the provider, as a
 * successful mint would, and reports it valid for an hour.
 */
export function providerProfileHandlers(state: GatewayState): Partial<ServiceImpl<typeof OpenShell>> {
  const catalog = new ProfileCatalog();
  const refreshes = new Map<string, RefreshRecord>();
  // Keyed by provider id, so a provider deleted and created again starts without refreshes.
  const key = (providerId: string, credential: string) => `${providerId}/${credential}`;
  const idOf = (p: { metadata?: { id: string } }) => p.metadata?.id ?? "";
  const providerOf = (name: string, workspace: string) => {
    const provider = state.provider(name, workspace);
    if (!provider) {
      throw new ConnectError(
        `provider "${name}" not found in workspace "${workspaceOf(workspace)}"`,
        Code.NotFound,
      );
    }
    return provider;
  };

  return {
    ...providerProfileAdminHandlers(state, catalog),
    listProviderProfiles(req) {
      return { profiles: page(catalog.visible(req.workspace), req.limit, req.offset, profilePaging) };
    },
    getProviderProfile(req) {
      const found = catalog.find(req.id, req.workspace);
      if (!found) throw new ConnectError(`provider profile "${req.id}" not found`, Code.NotFound);
      return { profile: found };
    },
    getProviderRefreshStatus(req) {
      const prefix = key(idOf(providerOf(req.provider, req.workspace)), "");
      const credentials = [...refreshes.entries()]
        .filter(([k]) => k.startsWith(prefix))
        .map(([, r]) => r.status)
        .filter((s) => req.credentialKey === "" || s.credentialKey === req.credentialKey)
        .sort((a, b) => a.credentialKey.localeCompare(b.credentialKey));
      return { credentials };
    },
    configureProviderRefresh(req) {
      const provider = providerOf(req.provider, req.workspace);
      if (!(req.credentialKey in provider.credentials)) {
        throw invalid(
          `credential_key "${req.credentialKey}" is not a credential of provider "${req.provider}"`,
        );
      }
      if (!mintable.has(req.strategy)) {
        throw invalid(`strategy ${Strategy[req.strategy]} cannot be configured; it mints nothing`);
      }
      for (const name of requiredMaterial[req.strategy] ?? []) {
        if (!req.material[name])
          throw invalid(`material "${name}" is required for ${Strategy[req.strategy]}`);
      }
      // Like a real gateway, the message quotes the rejected value: the SDK must redact it.
      const arn = req.material.role_arn;
      if (arn !== undefined && !arn.startsWith("arn:")) throw invalid(`role_arn "${arn}" is not an ARN`);
      const status = create(ProviderCredentialRefreshStatusSchema, {
        providerName: req.provider,
        providerId: provider.metadata?.id ?? "",
        credentialKey: req.credentialKey,
        strategy: req.strategy,
        status: "configured",
        expiresAtMs: req.expiresAtMs ?? 0n,
        nextRefreshAtMs: req.expiresAtMs ? req.expiresAtMs - refreshBeforeMs : 0n,
      });
      refreshes.set(key(idOf(provider), req.credentialKey), {
        status,
        material: { ...req.material },
      });
      return { status };
    },
    rotateProviderCredential(req) {
      const provider = providerOf(req.provider, req.workspace);
      const record = refreshes.get(key(idOf(provider), req.credentialKey));
      if (!record) {
        throw new ConnectError(
          `credential "${req.credentialKey}" of provider "${req.provider}" has no refresh configured; configure one first`,
          Code.FailedPrecondition,
        );
      }
      const now = BigInt(Date.now());
      // state.provider() hands out the stored object: the minted value replaces the old one.
      const stored = provider;
      stored.credentials[req.credentialKey] = `minted-${now}-${Math.random().toString(36).slice(2)}`;
      stored.credentialExpiresAtMs[req.credentialKey] = now + mintedLifetimeMs;
      Object.assign(record.status, {
        status: "active",
        lastRefreshAtMs: now,
        expiresAtMs: now + mintedLifetimeMs,
        nextRefreshAtMs: now + mintedLifetimeMs - refreshBeforeMs,
        lastError: "",
      });
      return { status: record.status };
    },
    deleteProviderRefresh(req) {
      const provider = providerOf(req.provider, req.workspace);
      return { deleted: refreshes.delete(key(idOf(provider), req.credentialKey)) };
    },
  };
}
