import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { WorkspaceRole } from "../../../src/gen/openshell/v1/workspaces_pb.js";

/** One OIDC user of the test gateway: who a bearer token says the caller is. */
export interface OidcUser {
  subject: string;
  /** The token's roles claim. */
  roles: string[];
}

/**
 * The test gateway as a gateway with OIDC and roles (upstream `oidc.admin_role`): each call is made
 * by the user its bearer token maps to, and calls that need a platform admin or a workspace admin
 * (SEMANTICS §12-14) are PERMISSION_DENIED for a caller without the role.
 */
export interface GatewayOidc {
  /** Bearer token to the user it authenticates. A call without a known token is UNAUTHENTICATED. */
  users: Record<string, OidcUser>;
  /** The role that makes a platform admin. Default `openshell-admin`. */
  adminRole?: string;
}

/** Who made the call, as the gateway authenticated it; handlers read it from their context. */
export interface TestCaller {
  subject: string;
  identityProvider: string;
  /** Omitted without OIDC, where every caller is a platform admin. */
  roles?: string[];
}

/** The authenticated caller of the current call; undefined without OIDC. */
export const callerKey = createContextKey<TestCaller | undefined>(undefined);

/** A workspace member's role, or undefined for a non-member. */
export type MemberRole = (workspace: string, subject: string) => WorkspaceRole | undefined;

/** The request fields the checks look at; every one is optional on the messages they read. */
interface ScopedRequest {
  workspace?: string;
  global?: boolean;
  role?: WorkspaceRole;
}

type Need = { platform: string } | { workspaceAdmin: string } | undefined;

/** Calls a draft change; upstream: "Changes need workspace admin" (SEMANTICS §13). */
const draftChanges = new Set([
  "ApproveDraftChunk",
  "ApproveAllDraftChunks",
  "RejectDraftChunk",
  "EditDraftChunk",
  "UndoDraftChunk",
  "ClearDraftChunks",
]);
const profileChanges = new Set(["ImportProviderProfiles", "UpdateProviderProfiles", "DeleteProviderProfile"]);

/** What a call needs beyond authentication, from its method and request. */
function needOf(method: string, req: ScopedRequest): Need {
  const workspace = req.workspace || "default";
  if (method === "CreateWorkspace" || method === "DeleteWorkspace") return { platform: "manage workspaces" };
  if (req.global && ["UpdateConfig", "GetSandboxPolicyStatus", "ListSandboxPolicies"].includes(method)) {
    return { platform: "read or change the global policy and settings" };
  }
  if (profileChanges.has(method)) {
    // Empty workspace is the platform scope here (SEMANTICS §14).
    return req.workspace
      ? { workspaceAdmin: req.workspace }
      : { platform: "manage platform provider profiles" };
  }
  if (method === "AddWorkspaceMember" && req.role === WorkspaceRole.ADMIN) {
    return { platform: "grant the workspace ADMIN role" };
  }
  if (method === "AddWorkspaceMember" || method === "RemoveWorkspaceMember" || draftChanges.has(method)) {
    return { workspaceAdmin: workspace };
  }
  return undefined;
}

const quoted = (value: string) => `'${value.replaceAll("'", `'"'"'`)}'`;

/**
 * Authenticates each call by its bearer token and authorizes it, with upstream's messages: a missing
 * global role says which role is required, a missing workspace role says how an admin grants it.
 */
export function oidcInterceptor(oidc: GatewayOidc, memberRole: MemberRole): Interceptor {
  const adminRole = oidc.adminRole ?? "openshell-admin";
  return (next) => async (req) => {
    if (req.method.name === "Health") return next(req);
    const token = /^Bearer (.+)$/.exec(req.header.get("authorization") ?? "")?.[1];
    const user = token === undefined ? undefined : oidc.users[token];
    if (!user) throw new ConnectError("missing or invalid bearer token", Code.Unauthenticated);
    req.contextValues.set(callerKey, { subject: user.subject, roles: user.roles, identityProvider: "oidc" });
    const platformAdmin = user.roles.includes(adminRole);
    // Streams carry no request here; none of them needs more than authentication.
    const need =
      platformAdmin || req.stream ? undefined : needOf(req.method.name, req.message as ScopedRequest);
    if (need && "platform" in need) {
      throw new ConnectError(`role '${adminRole}' required to ${need.platform}`, Code.PermissionDenied);
    }
    if (need && memberRole(need.workspaceAdmin, user.subject) !== WorkspaceRole.ADMIN) {
      const ws = need.workspaceAdmin;
      throw new ConnectError(
        `workspace role 'admin' required in workspace '${ws}'; ask a platform admin to run: openshell workspace member add --workspace ${quoted(ws)} --subject ${quoted(user.subject)} --role admin`,
        Code.PermissionDenied,
      );
    }
    return next(req);
  };
}
