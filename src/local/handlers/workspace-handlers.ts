import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type Workspace,
  WorkspacePhase,
  WorkspaceSchema,
} from "../../gen/openshell/datamodel/v1/datamodel_pb.js";
import type { OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import {
  type WorkspaceMember,
  WorkspaceMemberSchema,
  WorkspaceRole,
} from "../../gen/openshell/v1/workspaces_pb.js";
import { matchesLabels, page, parseLabelSelector, workspaceOf } from "../protocol/validation.js";
import type { LocalStateStore } from "../state/state-store.js";
import { type LocalUser, localUser } from "../workspaces/local-user.js";
import { type StoredWorkspace, WorkspaceCatalog } from "../workspaces/workspace-catalog.js";

/** ListWorkspaces and ListWorkspaceMembers page like the other lists: `limit` 0 means 100, at most 1000. */
const paging = { defaultLimit: 100, maxLimit: 1000 } as const;

export interface WorkspaceHandlerDeps {
  store: LocalStateStore;
  /** Who every caller is; the OS user who started the gateway unless a test says otherwise. */
  user?: LocalUser;
}

/**
 * The workspace calls of SEMANTICS §12 in local mode, and GetCurrentUser. Local mode has one user,
 * the person who started it, who is a platform admin: there is no PERMISSION_DENIED and every
 * workspace is visible.
 *
 * Of the member calls only ListWorkspaceMembers is served, answering that one user as the ADMIN of
 * every workspace: that is who can use it. Add and RemoveWorkspaceMember stay unserved
 * (UNIMPLEMENTED): local mode authenticates nobody else, so a member added here could never act, and
 * answering OK would be a success that changes nothing.
 */
export function workspaceHandlers({
  store,
  user = localUser(),
}: WorkspaceHandlerDeps): Partial<ServiceImpl<typeof OpenShell>> {
  const catalog = new WorkspaceCatalog(store);
  return {
    getCurrentUser() {
      return { ...user, roles: [...user.roles], scopes: [...user.scopes] };
    },

    createWorkspace(req) {
      return { workspace: toWorkspace(catalog.create(req.name, req.labels)) };
    },

    getWorkspace(req) {
      return { workspace: toWorkspace(catalog.get(req.name)) };
    },

    listWorkspaces(req) {
      const selector = parseLabelSelector(req.labelSelector);
      const matching = catalog.list().filter((w) => matchesLabels(w.record.labels, selector));
      return { workspaces: page(matching, req.limit, req.offset, paging).map(toWorkspace) };
    },

    deleteWorkspace(req) {
      catalog.delete(req.name);
      return { deleted: true };
    },

    listWorkspaceMembers(req) {
      const workspace = catalog.get(workspaceOf(req.workspace));
      return { members: page([memberOf(user, workspace)], req.limit, req.offset, paging) };
    },
  };
}

function toWorkspace(stored: StoredWorkspace): Workspace {
  return create(WorkspaceSchema, {
    metadata: {
      id: stored.record.id,
      name: stored.name,
      labels: { ...stored.record.labels },
      createdAtMs: BigInt(stored.createdMs),
      resourceVersion: BigInt(stored.resourceVersion),
    },
    status: { phase: stored.record.terminating ? WorkspacePhase.TERMINATING : WorkspacePhase.ACTIVE },
  });
}

/**
 * The local user as a member: no membership record exists (so no id of its own), and the user has
 * held the workspace since it was made.
 */
function memberOf(user: LocalUser, workspace: StoredWorkspace): WorkspaceMember {
  return create(WorkspaceMemberSchema, {
    metadata: { name: user.subject, workspace: workspace.name, createdAtMs: BigInt(workspace.createdMs) },
    principalSubject: user.subject,
    role: WorkspaceRole.ADMIN,
  });
}
