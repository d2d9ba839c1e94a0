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
 * Checks that something may be created in `workspace`, as upstream does before a workspace-scoped
 * create: `default` always may; any other must have been created (NOT_FOUND saying how) and must not
 * be half-way through a delete (FAILED_PRECONDITION).
 */
export function requireActiveWorkspace(records: RecordStore, workspace: string): void {
  if (workspace === DEFAULT_WORKSPACE) return;
  const stored = records.get<WorkspaceRecord>(WORKSPACE_KIND, "", workspace);
  if (stored === undefined) {
    throw new NotFoundError(
      `workspace "${workspace}" not found: create it first with os.workspaces.create({ name: "${workspace}" })`,
    );
  }
  if (stored.record.terminating) {
    throw new FailedPreconditionError(
      `workspace "${workspace}" is being deleted (TERMINATING): nothing new can be created in it; ` +
        "delete what it still holds and delete the workspace again, or use another workspace",
    );
  }
}
