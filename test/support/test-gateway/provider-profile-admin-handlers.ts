import { clone, create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  type ProviderProfile,
  type ProviderProfileDiagnostic,
  ProviderProfileDiagnosticSchema,
  type ProviderProfileImportItem,
  ProviderProfileSchema,
} from "../../../src/gen/openshell/v1/provider_profiles_pb.js";
import { invalid, workspaceOf } from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";
import { type ProfileCatalog, profileScope } from "./profile-catalog.js";
import { providerHandlers } from "./provider-handlers.js";

/** Provider type aliases upstream keeps for older providers (SEMANTICS §6): not usable as profile ids. */
const legacyAliases: Record<string, string> = {
  claude: "claude-code",
  gh: "github",
  glab: "gitlab",
  gcp: "google-cloud",
};
const kebab = /^[a-z0-9]+(-[a-z0-9]+)*$/;

type Item = [origin: string, profile: ProviderProfile];

function diagnostic(origin: string, profileId: string, field: string, message: string) {
  return create(ProviderProfileDiagnosticSchema, {
    source: origin,
    profileId,
    field,
    message,
    severity: "error",
  });
}

const hasErrors = (ds: ProviderProfileDiagnostic[]) => ds.some((d) => d.severity === "error");

function checkId(id: string): string {
  if (id.trim() === "") throw invalid("id is required");
  if (!kebab.test(id)) throw invalid("id must be lowercase kebab-case using only a-z, 0-9, and '-'");
  return id;
}

/** The request's profiles, with a diagnostic for each item without one and for an empty request. */
function itemsOf(items: ProviderProfileImportItem[]): [Item[], ProviderProfileDiagnostic[]] {
  const out: Item[] = [];
  const diagnostics: ProviderProfileDiagnostic[] = [];
  for (const item of items) {
    if (item.profile) out.push([item.source, item.profile]);
    else diagnostics.push(diagnostic(item.source, "", "profile", "provider profile is required"));
  }
  if (out.length === 0 && diagnostics.length === 0) {
    diagnostics.push(diagnostic("", "", "profiles", "at least one provider profile is required"));
  }
  return [out, diagnostics];
}

/** What upstream's profile validation reports (ids, credentials, auth styles, endpoints, binaries). */
function validateSet(items: Item[]): ProviderProfileDiagnostic[] {
  const out: ProviderProfileDiagnostic[] = [];
  const ids = new Set<string>();
  for (const [origin, p] of items) {
    const d = (field: string, message: string) => out.push(diagnostic(origin, p.id, field, message));
    if (p.id.trim() === "") d("id", "provider profile id is required");
    else if (!kebab.test(p.id))
      d("id", "provider profile id must be lowercase kebab-case using only a-z, 0-9, and '-'");
    else if (ids.has(p.id)) d("id", `duplicate provider profile id: ${p.id}`);
    ids.add(p.id);
    if (p.displayName.trim() === "") d("display_name", "display_name is required");
    const names = new Set<string>();
    const envVars = new Set<string>();
    for (const c of p.credentials) {
      if (c.name.trim() === "") d("credentials.name", "credential name is required");
      else if (names.has(c.name)) d("credentials.name", `duplicate credential name: ${c.name}`);
      names.add(c.name);
      for (const v of c.envVars) {
        if (envVars.has(v)) d("credentials.env_vars", `duplicate credential env var '${v}'`);
        envVars.add(v);
      }
      const style = c.authStyle.trim().toLowerCase();
      if ((style === "bearer" || style === "header") && c.headerName.trim() === "") {
        d("credentials.header_name", `header_name is required for ${style} auth`);
      } else if (style === "query" && c.queryParam.trim() === "") {
        d("credentials.query_param", "query_param is required for query auth");
      } else if (!["", "basic", "bearer", "header", "query"].includes(style)) {
        d("credentials.auth_style", `unsupported auth_style: ${c.authStyle}`);
      }
    }
    p.endpoints.forEach((e, i) => {
      if (e.host.trim() === "" || e.port === 0)
        d(`endpoints[${i}]`, `invalid endpoint '${e.host}:${e.port}'`);
    });
    p.binaries.forEach((b, i) => {
      if (b.path.trim() === "") d(`binaries[${i}]`, "binary path must not be empty");
    });
  }
  return out;
}

/**
 * ImportProviderProfiles, UpdateProviderProfiles, LintProviderProfiles and DeleteProviderProfile
 * (SEMANTICS §14) as upstream answers them: problems with the profiles are diagnostics with
 * `imported` / `updated` / `valid` false and nothing stored; a stale resource version is ABORTED; a
 * delete of a missing profile is NOT_FOUND, of a built-in one or one in use FAILED_PRECONDITION.
 * `workspace` "" is the platform scope; who may act there is the authorization layer's concern.
 */
export function providerProfileAdminHandlers(
  state: GatewayState,
  catalog: ProfileCatalog,
): Partial<ServiceImpl<typeof OpenShell>> {
  const conflicts = (items: Item[], scope: string): ProviderProfileDiagnostic[] =>
    items.flatMap(([origin, p]) => {
      if (!kebab.test(p.id)) return [];
      if (catalog.builtin(p.id))
        return [
          diagnostic(origin, p.id, "id", `provider profile '${p.id}' is built-in and cannot be overwritten`),
        ];
      const alias = legacyAliases[p.id];
      if (alias) {
        return [
          diagnostic(
            origin,
            p.id,
            "id",
            `provider profile id '${p.id}' is reserved for legacy provider type '${alias}'`,
          ),
        ];
      }
      if (catalog.stored(p.id, scope))
        return [diagnostic(origin, p.id, "id", `custom provider profile '${p.id}' already exists`)];
      return [];
    });
  const check = (req: { profiles: ProviderProfileImportItem[]; workspace: string }) => {
    const scope = profileScope(req.workspace);
    const [items, diagnostics] = itemsOf(req.profiles);
    diagnostics.push(...conflicts(items, scope), ...validateSet(items));
    return { scope, items, diagnostics };
  };
  const stored = (p: ProviderProfile, scope: string, resourceVersion: bigint) => {
    const profile = clone(ProviderProfileSchema, p);
    Object.assign(profile, { source: "user", scope, resourceVersion });
    catalog.store(profile);
    return profile;
  };
  /** Sandboxes whose providers are of type `id`, in the scope's workspaces. */
  const usersOf = (id: string, scope: string): string[] =>
    [...state.sandboxes.values()]
      .filter((s) => scope === "platform" || s.workspace === scope)
      .filter((s) => s.spec.providers.some((name) => state.provider(name, s.workspace)?.type === id))
      .map((s) => s.name)
      .sort();

  const createBase = providerHandlers(state).createProvider;

  return {
    /**
     * Providers may be of a user profile's type, as upstream allows. The shared provider rules know
     * the built-in types only, so such a provider is created as `generic` and then given its type.
     */
    async createProvider(req, ctx) {
      if (!createBase) throw new Error("providerHandlers has no createProvider");
      const type = req.provider?.type ?? "";
      const workspace = workspaceOf(req.workspace || req.provider?.metadata?.workspace || "");
      const userType = catalog.find(type, workspace)?.source === "user";
      if (!userType || !req.provider) return createBase(req, ctx);
      const res = await createBase({ ...req, provider: { ...req.provider, type: "generic" } }, ctx);
      const created = state.provider(req.provider.metadata?.name ?? "", workspace);
      if (created) created.type = type;
      if (res.provider) res.provider.type = type;
      return res;
    },
    importProviderProfiles(req) {
      const { scope, items, diagnostics } = check(req);
      if (hasErrors(diagnostics)) return { diagnostics, profiles: [], imported: false };
      return { diagnostics, profiles: items.map(([, p]) => stored(p, scope, 1n)), imported: true };
    },
    lintProviderProfiles(req) {
      const { diagnostics } = check(req);
      return { diagnostics, valid: !hasErrors(diagnostics) };
    },
    updateProviderProfiles(req) {
      const scope = profileScope(req.workspace);
      const target = checkId(req.id);
      const [items, diagnostics] = itemsOf(req.profile ? [req.profile] : []);
      const [first] = items;
      if (first && kebab.test(first[1].id) && first[1].id !== target) {
        diagnostics.push(
          diagnostic(
            first[0],
            first[1].id,
            "id",
            `provider profile update target '${target}' does not match payload id '${first[1].id}'`,
          ),
        );
      }
      const current = catalog.stored(target, scope);
      if (catalog.builtin(target)) {
        diagnostics.push(
          diagnostic(target, target, "id", `provider profile '${target}' is built-in and cannot be updated`),
        );
      } else if (!current) {
        diagnostics.push(
          diagnostic(
            target,
            target,
            "id",
            `custom provider profile '${target}' does not exist in ${scope === "platform" ? "the platform scope" : `workspace "${scope}"`}`,
          ),
        );
      }
      diagnostics.push(...validateSet(items));
      const expected = req.expectedResourceVersion || (first?.[1].resourceVersion ?? 0n);
      if (expected === 0n && first) {
        diagnostics.push(
          diagnostic(
            first[0],
            first[1].id,
            "resource_version",
            "custom provider profile update requires a non-zero resource_version; export the current profile before editing it",
          ),
        );
      }
      if (hasErrors(diagnostics) || !first || !current) return { diagnostics, updated: false };
      if (current.resourceVersion !== expected) {
        throw new ConnectError(
          `provider profile was modified concurrently (current resource_version: ${current.resourceVersion})`,
          Code.Aborted,
        );
      }
      return { diagnostics, profile: stored(first[1], scope, current.resourceVersion + 1n), updated: true };
    },
    deleteProviderProfile(req) {
      const id = checkId(req.id);
      const scope = profileScope(req.workspace);
      if (catalog.builtin(id)) {
        throw new ConnectError("built-in provider profiles cannot be deleted", Code.FailedPrecondition);
      }
      if (!catalog.stored(id, scope)) {
        const where = scope === "platform" ? "at platform scope" : `in workspace "${workspaceOf(scope)}"`;
        throw new ConnectError(`provider profile "${id}" not found ${where}`, Code.NotFound);
      }
      const users = usersOf(id, scope);
      if (users.length > 0) {
        throw new ConnectError(
          `provider profile '${id}' is in use by sandboxes: ${users.join(", ")}`,
          Code.FailedPrecondition,
        );
      }
      return { deleted: catalog.remove(id, scope) };
    },
  };
}
