import { ProtocolError } from "../../errors.js";
import { type Workspace, WorkspacePhase } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import {
  type GetCurrentUserResponse,
  type WorkspaceMember,
  WorkspaceRole,
} from "../../gen/openshell/v1/workspaces_pb.js";

/** A member's role in a workspace: `admin` also manages the workspace's members. */
export type WorkspaceRoleName = "user" | "admin";

/** A workspace as the gateway reports it. */
export interface WorkspaceInfo {
  /** The gateway's id of the workspace. */
  id: string;
  name: string;
  labels: Record<string, string>;
  /**
   * `terminating` after a delete that failed because the workspace still held resources: nothing can
   * be created in it until a retried delete succeeds.
   */
  phase: "active" | "terminating" | "unspecified";
  /** Optimistic-concurrency version (a uint64, kept exact). */
  resourceVersion: bigint;
  createdAt: Date;
}

/** A principal's membership of a workspace. */
export interface WorkspaceMemberInfo {
  /** The principal's subject, as {@link CurrentUser.subject} reports it for them. */
  subject: string;
  role: WorkspaceRoleName | "unspecified";
  workspace: string;
  createdAt: Date;
}

/** Who the gateway takes the caller to be. */
export interface CurrentUser {
  subject: string;
  displayName: string;
  /** Platform roles (an OIDC gateway's admin role among them). */
  roles: string[];
  scopes: string[];
  /** How the caller was identified: `"oidc"`, `"mtls"`, `"cloudflare_access"` or `"local_dev"`. */
  identityProvider: string;
}

const phaseNames: Record<WorkspacePhase, WorkspaceInfo["phase"]> = {
  [WorkspacePhase.UNSPECIFIED]: "unspecified",
  [WorkspacePhase.ACTIVE]: "active",
  [WorkspacePhase.TERMINATING]: "terminating",
};

const roleNames: Record<WorkspaceRole, WorkspaceMemberInfo["role"]> = {
  [WorkspaceRole.UNSPECIFIED]: "unspecified",
  [WorkspaceRole.USER]: "user",
  [WorkspaceRole.ADMIN]: "admin",
};

/** The wire value of a role name. */
export const roleValues: Record<WorkspaceRoleName, WorkspaceRole> = {
  user: WorkspaceRole.USER,
  admin: WorkspaceRole.ADMIN,
};

/** Curates a Workspace message; `rpc` names the call in the error for a missing one. */
export function toWorkspaceInfo(message: Workspace | undefined, rpc: string): WorkspaceInfo {
  if (!message) throw new ProtocolError(`${rpc}: the gateway answered without a workspace`);
  const meta = message.metadata;
  return {
    id: meta?.id ?? "",
    name: meta?.name ?? "",
    labels: { ...meta?.labels },
    phase: phaseNames[message.status?.phase ?? WorkspacePhase.UNSPECIFIED] ?? "unspecified",
    resourceVersion: meta?.resourceVersion ?? 0n,
    createdAt: new Date(Number(meta?.createdAtMs ?? 0n)),
  };
}

/** Curates a WorkspaceMember message of the workspace `workspace`. */
export function toWorkspaceMemberInfo(
  message: WorkspaceMember | undefined,
  workspace: string,
  rpc: string,
): WorkspaceMemberInfo {
  if (!message) throw new ProtocolError(`${rpc}: the gateway answered without a member`);
  return {
    subject: message.principalSubject,
    role: roleNames[message.role] ?? "unspecified",
    workspace: message.metadata?.workspace || workspace,
    createdAt: new Date(Number(message.metadata?.createdAtMs ?? 0n)),
  };
}

export function toCurrentUser(message: GetCurrentUserResponse): CurrentUser {
  return {
    subject: message.subject,
    displayName: message.displayName,
    roles: [...message.roles],
    scopes: [...message.scopes],
    identityProvider: message.identityProvider,
  };
}
