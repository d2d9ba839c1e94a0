import { validate } from "../../validation/validate.js";
import { allPages } from "../internal/all-pages.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions } from "../request-options.js";
import {
  type CurrentUser,
  roleValues,
  toCurrentUser,
  toWorkspaceInfo,
  toWorkspaceMemberInfo,
  type WorkspaceInfo,
  type WorkspaceMemberInfo,
} from "./workspace-info.js";
import {
  type AddWorkspaceMemberOptions,
  addMemberSchema,
  type CreateWorkspaceInput,
  createWorkspaceSchema,
  type ListWorkspaceMembersOptions,
  type ListWorkspacesOptions,
  listMembersSchema,
  listWorkspacesSchema,
  subjectSchema,
  workspaceNameSchema,
} from "./workspace-options.js";

/**
 * `os.workspaces`: the gateway's tenancy boundaries, their members, and who you are to the gateway.
 * Sandboxes, providers and services live in a workspace; `default` always exists.
 *
 * ```ts
 * await os.workspaces.create({ name: "team-a" });
 * await os.workspaces.addMember("team-a", "alice@example.com", { role: "admin" });
 * const me = await os.workspaces.currentUser();
 * ```
 */
export class WorkspaceService {
  /** @internal */
  constructor(private readonly calls: GatewayCalls) {}

  /**
   * Creates a workspace. Needs a platform admin (every caller is one on a gateway without OIDC).
   * @throws AlreadyExistsError when a workspace of that name exists.
   * @throws PermissionDeniedError when you are not a platform admin.
   * @throws InvalidArgumentError for a bad input (its `field` names it).
   */
  async create(input: CreateWorkspaceInput, options?: RequestOptions): Promise<WorkspaceInfo> {
    const w = validate(createWorkspaceSchema, input, "workspace");
    const res = await this.calls.unary(`create workspace "${w.name}"`, options, (o) =>
      this.calls.openshell.createWorkspace({ name: w.name, labels: w.labels ?? {} }, o),
    );
    return toWorkspaceInfo(res.workspace, "CreateWorkspace");
  }

  /**
   * The workspace named `name`.
   * @throws NotFoundError when there is no such workspace.
   * @throws PermissionDeniedError when you are not a member of it.
   */
  async get(name: string, options?: RequestOptions): Promise<WorkspaceInfo> {
    const workspace = this.name(name);
    const res = await this.calls.unary(`get workspace "${workspace}"`, options, (o) =>
      this.calls.openshell.getWorkspace({ name: workspace }, o),
    );
    return toWorkspaceInfo(res.workspace, "GetWorkspace");
  }

  /**
   * One page of the workspaces you can see (a platform admin sees all of them). Use {@link listAll}
   * to walk every page.
   */
  async list(options: ListWorkspacesOptions = {}): Promise<WorkspaceInfo[]> {
    const o = validate(listWorkspacesSchema, options, "list options");
    const labelSelector = Object.entries(o.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const res = await this.calls.unary("list workspaces", options, (co) =>
      this.calls.openshell.listWorkspaces({ limit: o.limit ?? 0, offset: o.offset ?? 0, labelSelector }, co),
    );
    return res.workspaces.map((w) => toWorkspaceInfo(w, "ListWorkspaces"));
  }

  /** Every workspace you can see, fetching pages of `limit` (default 100) as you iterate. */
  listAll(
    options: Omit<ListWorkspacesOptions, "offset"> = {},
  ): AsyncGenerator<WorkspaceInfo, void, undefined> {
    return allPages((o) => this.list(o), options);
  }

  /**
   * Deletes an empty workspace. Resolves the gateway's `deleted` flag.
   *
   * A workspace that still holds sandboxes, providers, services or other resources is not deleted:
   * it turns `terminating` (nothing new can be created in it) and the call throws; delete what it
   * holds and call again.
   * @throws FailedPreconditionError for `default`, or while the workspace still holds resources.
   * @throws NotFoundError when there is no such workspace.
   */
  async delete(name: string, options?: RequestOptions): Promise<boolean> {
    const workspace = this.name(name);
    const res = await this.calls.unary(`delete workspace "${workspace}"`, options, (o) =>
      this.calls.openshell.deleteWorkspace({ name: workspace }, o),
    );
    return res.deleted;
  }

  /**
   * Makes a principal a member of a workspace. Needs a workspace admin; only platform admins grant
   * `admin`. To change a member's role, remove and add them again.
   * @throws AlreadyExistsError when the principal is already a member.
   * @throws NotFoundError when there is no such workspace.
   */
  async addMember(
    workspace: string,
    subject: string,
    options: AddWorkspaceMemberOptions = {},
  ): Promise<WorkspaceMemberInfo> {
    const ws = this.name(workspace);
    const principalSubject = validate(subjectSchema, subject, "subject");
    const role = validate(addMemberSchema, options, "member options").role ?? "user";
    const res = await this.calls.unary(
      `add member "${principalSubject}" to workspace "${ws}"`,
      options,
      (o) =>
        this.calls.openshell.addWorkspaceMember(
          { workspace: ws, principalSubject, role: roleValues[role] },
          o,
        ),
    );
    return toWorkspaceMemberInfo(res.member, ws, "AddWorkspaceMember");
  }

  /** Ends a principal's membership. Resolves the gateway's `removed` flag. @throws NotFoundError */
  async removeMember(workspace: string, subject: string, options?: RequestOptions): Promise<boolean> {
    const ws = this.name(workspace);
    const principalSubject = validate(subjectSchema, subject, "subject");
    const res = await this.calls.unary(
      `remove member "${principalSubject}" from workspace "${ws}"`,
      options,
      (o) => this.calls.openshell.removeWorkspaceMember({ workspace: ws, principalSubject }, o),
    );
    return res.removed;
  }

  /** One page of a workspace's members. @throws NotFoundError when there is no such workspace. */
  async listMembers(
    workspace: string,
    options: ListWorkspaceMembersOptions = {},
  ): Promise<WorkspaceMemberInfo[]> {
    const ws = this.name(workspace);
    const o = validate(listMembersSchema, options, "list options");
    const res = await this.calls.unary(`list members of workspace "${ws}"`, options, (co) =>
      this.calls.openshell.listWorkspaceMembers(
        { workspace: ws, limit: o.limit ?? 0, offset: o.offset ?? 0 },
        co,
      ),
    );
    return res.members.map((m) => toWorkspaceMemberInfo(m, ws, "ListWorkspaceMembers"));
  }

  /** Who the gateway takes you to be: subject, roles and how you were identified. */
  async currentUser(options?: RequestOptions): Promise<CurrentUser> {
    const res = await this.calls.unary("get the current user", options, (o) =>
      this.calls.openshell.getCurrentUser({}, o),
    );
    return toCurrentUser(res);
  }

  private name(name: string): string {
    return validate(workspaceNameSchema, name, "workspace", { field: "workspace" });
  }
}
