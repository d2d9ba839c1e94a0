import { create } from "@bufbuild/protobuf";
import {
  type ProviderProfile,
  ProviderProfileCategory,
  ProviderProfileSchema,
} from "../../../src/gen/openshell/v1/provider_profiles_pb.js";

function builtin(
  id: string,
  displayName: string,
  category: ProviderProfileCategory,
  credentials: string[],
  host: string,
  inferenceCapable: boolean,
): ProviderProfile {
  return create(ProviderProfileSchema, {
    id,
    displayName,
    description: `${displayName} (built in)`,
    category,
    credentials: credentials.map((name, i) => ({
      name,
      envVars: [name],
      required: i === 0,
      authStyle: "bearer",
    })),
    endpoints: [{ host, port: 443 }],
    inferenceCapable,
    resourceVersion: 1n,
    source: "builtin",
    scope: "platform",
  });
}

/** A few of the built-in profiles SEMANTICS §6 lists, enough to list, page and get. */
const builtins = [
  builtin(
    "anthropic",
    "Anthropic",
    ProviderProfileCategory.INFERENCE,
    ["ANTHROPIC_API_KEY"],
    "api.anthropic.com",
    true,
  ),
  builtin(
    "github",
    "GitHub",
    ProviderProfileCategory.SOURCE_CONTROL,
    ["GITHUB_TOKEN"],
    "api.github.com",
    false,
  ),
  builtin(
    "nvidia",
    "NVIDIA",
    ProviderProfileCategory.INFERENCE,
    ["NVIDIA_API_KEY"],
    "integrate.api.nvidia.com",
    true,
  ),
  builtin(
    "openai",
    "OpenAI",
    ProviderProfileCategory.INFERENCE,
    ["OPENAI_API_KEY", "OPENAI_BASE_URL"],
    "api.openai.com",
    true,
  ),
];

/** The scope of a profile request: `""` is the platform scope (SEMANTICS §14). */
export function profileScope(workspace: string): string {
  return workspace === "" ? "platform" : workspace;
}

/**
 * The provider profiles the test gateway knows: the built-in ones and those imported at platform
 * scope or into a workspace. A workspace sees its own, then the platform's, then the built-in ones
 * (the first of an id wins), as upstream resolves them.
 */
export class ProfileCatalog {
  private readonly user = new Map<string, ProviderProfile>();

  builtin(id: string): ProviderProfile | undefined {
    return builtins.find((p) => p.id === id);
  }

  /** A user profile stored in exactly this scope. */
  stored(id: string, scope: string): ProviderProfile | undefined {
    return this.user.get(`${scope}/${id}`);
  }

  store(profile: ProviderProfile): void {
    this.user.set(`${profile.scope}/${profile.id}`, profile);
  }

  remove(id: string, scope: string): boolean {
    return this.user.delete(`${scope}/${id}`);
  }

  /** What a request in `workspace` sees, sorted by id. */
  visible(workspace: string): ProviderProfile[] {
    const scopes = [profileScope(workspace), "platform"];
    const byId = new Map<string, ProviderProfile>();
    for (const scope of scopes) {
      for (const profile of this.user.values()) {
        if (profile.scope === scope && !byId.has(profile.id)) byId.set(profile.id, profile);
      }
    }
    for (const profile of builtins) if (!byId.has(profile.id)) byId.set(profile.id, profile);
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  find(id: string, workspace: string): ProviderProfile | undefined {
    return this.visible(workspace).find((p) => p.id === id);
  }
}
