/** Public surface of `os.workspaces`, for the package entry point to re-export. */
export type {
  CurrentUser,
  WorkspaceInfo,
  WorkspaceMemberInfo,
  WorkspaceRoleName,
} from "./workspace-info.js";
export type {
  AddWorkspaceMemberOptions,
  CreateWorkspaceInput,
  ListWorkspaceMembersOptions,
  ListWorkspacesOptions,
} from "./workspace-options.js";
export type { WorkspaceService } from "./workspace-service.js";
