import { z } from "zod";
import { validate } from "../../validation/validate.js";
import { allPages } from "../internal/all-pages.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { workspaceSchema } from "../validation/common-schemas.js";
import { type ProviderProfileInfo, toProviderProfileInfo } from "./provider-profile-info.js";
import { type ProviderProfileInput, profileInputSchema, toImportItem } from "./provider-profile-input.js";
import {
  type ListProviderProfilesOptions,
  listProfilesSchema,
  type ProfileScopeOptions,
  profileIdSchema,
  profileScopeSchema,
  type UpdateProviderProfileOptions,
  updateProfileOptionsSchema,
} from "./provider-profile-options.js";
import {
  type ImportProviderProfilesResult,
  type LintProviderProfilesResult,
  toDiagnostics,
  type UpdateProviderProfileResult,
} from "./provider-profile-results.js";

/** SEMANTICS: a request carries at most this many profiles (the gateway's page limit). */
const maxProfilesPerCall = 1000;
const profileListSchema = z
  .array(profileInputSchema, { error: "must be an array of profiles" })
  .min(1, "must hold at least one profile")
  .max(maxProfilesPerCall, `must hold at most ${maxProfilesPerCall} profiles`);

/**
 * `os.providers.profiles`: the provider types the gateway knows (built-in ones like `openai` and
 * `github`, and profiles imported by an admin), with the credentials each carries.
 *
 * ```ts
 * const openai = await os.providers.profiles.get("openai");
 * console.log(openai.credentials.map((c) => c.name)); // ["OPENAI_API_KEY"]
 *
 * // Admins define their own types; problems come back as diagnostics, not errors.
 * const { imported, diagnostics } = await os.providers.profiles.import([
 *   { id: "acme", displayName: "Acme", credentials: [{ name: "ACME_TOKEN", required: true }],
 *     endpoints: [{ host: "api.acme.test", port: 443 }] },
 * ]);
 * ```
 */
export class ProviderProfileService {
  /** @internal */
  constructor(private readonly calls: GatewayCalls) {}

  /** One page of the profiles visible in the workspace. Use {@link listAll} to walk every page. */
  async list(options: ListProviderProfilesOptions = {}): Promise<ProviderProfileInfo[]> {
    const o = validate(listProfilesSchema, options, "list options");
    const res = await this.calls.unary("list provider profiles", options, (co) =>
      this.calls.openshell.listProviderProfiles(
        { limit: o.limit ?? 0, offset: o.offset ?? 0, workspace: this.calls.ws(o) },
        co,
      ),
    );
    return res.profiles.map((p) => toProviderProfileInfo(p, "ListProviderProfiles"));
  }

  /** Every visible profile, fetching pages of `limit` (default 100) as you iterate. */
  listAll(
    options: Omit<ListProviderProfilesOptions, "offset"> = {},
  ): AsyncGenerator<ProviderProfileInfo, void, undefined> {
    return allPages((o) => this.list(o), options);
  }

  /** The profile `id` (a provider type, e.g. `"openai"`). @throws NotFoundError */
  async get(id: string, options?: WorkspaceOptions & RequestOptions): Promise<ProviderProfileInfo> {
    const profileId = validate(profileIdSchema, id, "profile id", { field: "id" });
    const workspace = this.calls.ws({
      workspace: validate(workspaceSchema, options?.workspace, "workspace"),
    });
    const res = await this.calls.unary(`get provider profile "${profileId}"`, options, (o) =>
      this.calls.openshell.getProviderProfile({ id: profileId, workspace }, o),
    );
    return toProviderProfileInfo(res.profile, "GetProviderProfile");
  }

  /**
   * Imports profiles, all or none: when the gateway finds an `error` in any of them (an id that is
   * built in or already exists, a missing field), nothing is stored and `imported` is `false`,
   * with `diagnostics` saying what to fix. Acts in the client's workspace unless `options` say
   * otherwise; platform scope (`{ platform: true }`) needs a platform admin.
   *
   * @throws InvalidArgumentError for a malformed profile (its `field` names it), before any request.
   * @throws PermissionDeniedError when you may not manage profiles in that scope.
   */
  async import(
    profiles: ProviderProfileInput[],
    options: ProfileScopeOptions = {},
  ): Promise<ImportProviderProfilesResult> {
    const checked = validate(profileListSchema, profiles, "profiles", { field: "profiles" });
    const workspace = this.scopeOf(options);
    const res = await this.calls.unary(`import ${checked.length} provider profile(s)`, options, (o) =>
      this.calls.openshell.importProviderProfiles(
        { profiles: checked.map((p) => toImportItem(p)), workspace },
        o,
      ),
    );
    return {
      imported: res.imported,
      profiles: res.profiles.map((p) => toProviderProfileInfo(p, "ImportProviderProfiles")),
      diagnostics: toDiagnostics(res.diagnostics),
    };
  }

  /**
   * Replaces the user profile `id` with `profile` (whose `id` must be the same). Built-in profiles
   * cannot be updated; that, a missing profile and the gateway's other objections come back as
   * `diagnostics` with `updated: false`.
   *
   * @throws ConflictError when `expectedResourceVersion` is no longer the profile's: read it again.
   * @throws PermissionDeniedError when you may not manage profiles in that scope.
   */
  async update(
    id: string,
    profile: ProviderProfileInput,
    options: UpdateProviderProfileOptions,
  ): Promise<UpdateProviderProfileResult> {
    const profileId = validate(profileIdSchema, id, "profile id", { field: "id" });
    const checked = validate(profileInputSchema, profile, "profile", { field: "profile" });
    const o = validate(updateProfileOptionsSchema, options, "update options");
    const workspace = this.scopeOf(o);
    const res = await this.calls.unary(`update provider profile "${profileId}"`, options, (co) =>
      this.calls.openshell.updateProviderProfiles(
        {
          id: profileId,
          profile: toImportItem(checked),
          expectedResourceVersion: o.expectedResourceVersion,
          workspace,
        },
        co,
      ),
    );
    const result: UpdateProviderProfileResult = {
      updated: res.updated,
      diagnostics: toDiagnostics(res.diagnostics),
    };
    if (res.profile) result.profile = toProviderProfileInfo(res.profile, "UpdateProviderProfiles");
    return result;
  }

  /**
   * Checks profiles the way {@link import} would, storing nothing: `valid` says whether an import
   * would succeed now, `diagnostics` what to fix.
   */
  async lint(
    profiles: ProviderProfileInput[],
    options: ProfileScopeOptions = {},
  ): Promise<LintProviderProfilesResult> {
    const checked = validate(profileListSchema, profiles, "profiles", { field: "profiles" });
    const workspace = this.scopeOf(options);
    const res = await this.calls.unary(`lint ${checked.length} provider profile(s)`, options, (o) =>
      this.calls.openshell.lintProviderProfiles(
        { profiles: checked.map((p) => toImportItem(p)), workspace },
        o,
      ),
    );
    return { valid: res.valid, diagnostics: toDiagnostics(res.diagnostics) };
  }

  /**
   * Deletes the user profile `id`. Resolves with what the gateway reports (`true` once deleted).
   *
   * @throws NotFoundError when there is no such profile in that scope.
   * @throws FailedPreconditionError for a built-in profile, or one sandboxes use through a provider.
   * @throws PermissionDeniedError when you may not manage profiles in that scope.
   */
  async delete(id: string, options: ProfileScopeOptions = {}): Promise<boolean> {
    const profileId = validate(profileIdSchema, id, "profile id", { field: "id" });
    const workspace = this.scopeOf(options);
    const res = await this.calls.unary(`delete provider profile "${profileId}"`, options, (o) =>
      this.calls.openshell.deleteProviderProfile({ id: profileId, workspace }, o),
    );
    return res.deleted;
  }

  /** The request's workspace: `""` (platform scope, SEMANTICS §14), the one given, or the client's. */
  private scopeOf(options: ProfileScopeOptions): string {
    const o = validate(profileScopeSchema, options, "options");
    return o.platform ? "" : this.calls.ws(o);
  }
}
