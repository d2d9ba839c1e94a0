import { validate } from "../../validation/validate.js";
import { allPages } from "../internal/all-pages.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { workspaceSchema } from "../validation/common-schemas.js";
import { type ProviderProfileInfo, toProviderProfileInfo } from "./provider-profile-info.js";
import {
  type ListProviderProfilesOptions,
  listProfilesSchema,
  profileIdSchema,
} from "./provider-profile-options.js";

/**
 * `os.providers.profiles`: the provider types the gateway knows (built-in ones like `openai` and
 * `github`, and profiles imported by an admin), with the credentials each carries.
 *
 * ```ts
 * const openai = await os.providers.profiles.get("openai");
 * console.log(openai.credentials.map((c) => c.name)); // ["OPENAI_API_KEY"]
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
}
