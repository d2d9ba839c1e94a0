import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Workspace,
  WorkspacePhase,
  WorkspaceSchema,
  WorkspaceStatusSchema,
} from "../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  type WorkspaceMember,
  WorkspaceMemberSchema,
  WorkspaceRole,
} from "../../../src/gen/openshell/v1/workspaces_pb.js";
import { invalid, matchesLabels, page, parseLabelSelector } from "../../../src/local/protocol/validation.js";
import { callerKey, type MemberRole, type TestCaller } from "./authorization.js";
import type { GatewayState } from "./gateway-state.js";

/** SEMANTICS §12: at most 1000 members a workspace. */
const maxMembers = 1000;
const paging = { defaultLimit: 100, maxLimit: 1000 };
const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

interface Entry {
  workspace: Workspace;
  members: Map<string, WorkspaceMember>;
}

function checkName(name: string): void {
  if (name.length > 19 || !dnsLabel.test(name) || name.includes("--")) {
    throw invalid(`workspace name "${name}" must be a DNS-1123 label of at most 19 characters without "--"`);
  }
}

function newWorkspace(name: string, labels: Record<string, string>): Entry {
  const workspace = create(WorkspaceSchema, {
    metadata: { id: randomUUID(), name, labels, createdAtMs: BigInt(Date.now()), resourceVersion: 1n },
    status: { phase: WorkspacePhase.ACTIVE },
  });
  return { workspace, members: new Map() };
}

const directories = new WeakMap<GatewayState, Map<string, Entry>>();

/** The gateway's workspaces by name; `default` always exists. */
function workspacesOf(state: GatewayState): Map<string, Entry> {
  let workspaces = directories.get(state);
  if (!workspaces) {
    workspaces = new Map([["default", newWorkspace("default", {})]]);
    directories.set(state, workspaces);
  }
  return workspaces;
}

/** A member's role in a workspace of this gateway, for the authorization checks. */
export function memberRoleIn(state: GatewayState): MemberRole {
  return (workspace, subject) => workspacesOf(state).get(workspace)?.members.get(subject)?.role;
}

/**
 * The workspace calls of SEMANTICS §12. Who may make them is checked before they get here (see
 * authorization.ts; without OIDC every caller is a platform admin). `default` always exists. A delete refuses while the workspace holds
 * sandboxes, providers or services, and leaves it TERMINATING.
 */
export function workspaceHandlers(
  state: GatewayState,
  caller: TestCaller,
  servicesIn: (workspace: string) => number,
): Partial<ServiceImpl<typeof OpenShell>> {
  const workspaces = workspacesOf(state);
  const find = (name: string): Entry => {
    const entry = workspaces.get(name);
    if (!entry) throw new ConnectError(`workspace "${name}" not found`, Code.NotFound);
    return entry;
  };
  const resourcesIn = (name: string): string[] => {
    const sandboxes = [...state.sandboxes.values()].filter((s) => s.workspace === name).length;
    const providers = [...state.providers.keys()].filter((k) => k.startsWith(`${name}/`)).length;
    const services = servicesIn(name);
    return Object.entries({ sandboxes, providers, services })
      .filter(([, n]) => n > 0)
      .map(([what, n]) => `${n} ${what}`);
  };

  return {
    getCurrentUser(_req, ctx) {
      const who = ctx.values.get(callerKey) ?? caller;
      return {
        subject: who.subject,
        displayName: who.subject,
        roles: who.roles ?? ["admin"],
        scopes: [],
        identityProvider: who.identityProvider,
      };
    },
    createWorkspace(req) {
      checkName(req.name);
      if (workspaces.has(req.name)) {
        throw new ConnectError(`workspace "${req.name}" already exists`, Code.AlreadyExists);
      }
      const entry = newWorkspace(req.name, req.labels);
      workspaces.set(req.name, entry);
      return { workspace: entry.workspace };
    },
    getWorkspace(req) {
      return { workspace: find(req.name).workspace };
    },
    listWorkspaces(req) {
      const selector = parseLabelSelector(req.labelSelector);
      const matching = [...workspaces.values()]
        .map((e) => e.workspace)
        .filter((w) => matchesLabels(w.metadata?.labels ?? {}, selector))
        .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
      return { workspaces: page(matching, req.limit, req.offset, paging) };
    },
    deleteWorkspace(req) {
      if (req.name === "default") {
        throw new ConnectError('workspace "default" cannot be deleted', Code.FailedPrecondition);
      }
      const entry = find(req.name);
      const remaining = resourcesIn(req.name);
      if (remaining.length > 0) {
        entry.workspace.status = create(WorkspaceStatusSchema, { phase: WorkspacePhase.TERMINATING });
        throw new ConnectError(
          `workspace "${req.name}" still contains resources: ${remaining.join(", ")}`,
          Code.FailedPrecondition,
        );
      }
      workspaces.delete(req.name);
      return { deleted: true };
    },
    addWorkspaceMember(req) {
      const entry = find(req.workspace);
      if (req.principalSubject === "") throw invalid("principal_subject is required");
      if (req.role !== WorkspaceRole.USER && req.role !== WorkspaceRole.ADMIN) {
        throw invalid("role must be USER or ADMIN");
      }
      if (entry.members.has(req.principalSubject)) {
        throw new ConnectError(
          `"${req.principalSubject}" is already a member of workspace "${req.workspace}"`,
          Code.AlreadyExists,
        );
      }
      if (entry.members.size >= maxMembers) {
        throw new ConnectError(
          `workspace "${req.workspace}" has ${maxMembers} members already`,
          Code.ResourceExhausted,
        );
      }
      const member = create(WorkspaceMemberSchema, {
        metadata: { id: randomUUID(), workspace: req.workspace, createdAtMs: BigInt(Date.now()) },
        principalSubject: req.principalSubject,
        role: req.role,
      });
      entry.members.set(req.principalSubject, member);
      return { member };
    },
    removeWorkspaceMember(req) {
      return { removed: find(req.workspace).members.delete(req.principalSubject) };
    },
    listWorkspaceMembers(req) {
      const members = [...find(req.workspace).members.values()].sort((a, b) =>
        a.principalSubject.localeCompare(b.principalSubject),
      );
      return { members: page(members, req.limit, req.offset, paging) };
    },
  };
}
