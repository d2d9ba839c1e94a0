import { FailedPreconditionError, NotFoundError } from "../../errors.js";
import type { RecordStore } from "../state/record-store.js";

/** The record kind workspaces are stored under (scope `""`: workspaces belong to no workspace). */
export const WORKSPACE_KIND = "workspace";

/** The workspace every gateway has, which needs no record and cannot be deleted. */
export const DEFAULT_WORKSPACE = "default";

/** A stored workspace: its labels, and whether a delete has begun (upstream's TERMINATING). */
export interface WorkspaceRecord {
  id: string;
  labels: Record<string, string>;
  terminating: boolean;
}

/** How errors about a stored workspace name it. */
export const workspaceLabel = (name: string): string => `workspace "${name}"`;

/**
 * Checks that `workspace` exists, as upstream does before a workspace-scoped list (SEMANTICS §12:
 * an unknown workspace is NOT_FOUND, not an empty list): `default` always does; any other must have
 * been created (NOT_FOUND saying how). A workspace being deleted (TERMINATING) still exists and lists
 * what it holds. Returns its record (undefined for `default`, which needs none).
 */
export function requireKnownWorkspace(records: RecordStore, workspace: string): WorkspaceRecord | undefined {
  if (workspace === DEFAULT_WORKSPACE) return undefined;
  const stored = records.get<WorkspaceRecord>(WORKSPACE_KIND, "", workspace);
  if (stored === undefined) {
    throw new NotFoundError(
      `workspace "${workspace}" not found: create it first with os.workspaces.create({ name: "${workspace}" })`,
    );
  }
  return stored.record;
}

/**
 * Checks that something may be created in `workspace`, as upstream does before a workspace-scoped
 * create: `default` always may; any other must have been created (NOT_FOUND saying how, as
 * {@link requireKnownWorkspace}) and must not be half-way through a delete (FAILED_PRECONDITION).
 */
export function requireActiveWorkspace(records: RecordStore, workspace: string): void {
  const stored = requireKnownWorkspace(records, workspace);
  if (stored?.terminating) {
    throw new FailedPreconditionError(
      `workspace "${workspace}" is being deleted (TERMINATING): nothing new can be created in it; ` +
        "delete what it still holds and delete the workspace again, or use another workspace",
    );
  }
}
