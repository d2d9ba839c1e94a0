import { randomUUID } from "node:crypto";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "../../errors.js";
import type { StoredRecord } from "../state/record-store.js";
import type { LocalStateStore } from "../state/state-store.js";
import { workspaceContents } from "./workspace-contents.js";
import {
  DEFAULT_WORKSPACE,
  WORKSPACE_KIND,
  type WorkspaceRecord,
  workspaceLabel,
} from "./workspace-records.js";

/** A workspace as the store holds it: name, labels, phase, id, version and creation time. */
export type StoredWorkspace = StoredRecord<WorkspaceRecord>;

/** SEMANTICS §12: workspace names are DNS-1123 labels of at most 19 characters. */
export const MAX_WORKSPACE_NAME_CHARS = 19;

const dns1123Label = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** @throws InvalidArgumentError (field `name`) for a name the gateway would refuse. */
export function checkWorkspaceName(name: string): void {
  if (name === "") throw new InvalidArgumentError("name is required", { field: "name" });
  if (name.length > MAX_WORKSPACE_NAME_CHARS) {
    throw new InvalidArgumentError(
      `workspace name "${name}" is longer than ${MAX_WORKSPACE_NAME_CHARS} characters`,
      { field: "name" },
    );
  }
  if (!dns1123Label.test(name) || name.includes("--")) {
    throw new InvalidArgumentError(
      `workspace name "${name}" must be a DNS-1123 label: lowercase letters, digits and single "-", not at either end`,
      { field: "name" },
    );
  }
}

/**
 * The workspaces of a local gateway, kept in its state store as records of kind `workspace` (scope
 * `""`), so they survive a restart and are shared by gateways over one state directory.
 *
 * `default` always exists and nothing depends on its record; it is stored the first time it is read
 * only so that it answers with a stable id and creation time, like any other.
 */
export class WorkspaceCatalog {
  constructor(private readonly store: LocalStateStore) {}

  /**
   * @throws AlreadyExistsError for a name in use (`default` included).
   * @throws InvalidArgumentError for a bad name.
   */
  create(name: string, labels: Record<string, string>): StoredWorkspace {
    checkWorkspaceName(name);
    if (name === DEFAULT_WORKSPACE) {
      throw new AlreadyExistsError(`workspace "${DEFAULT_WORKSPACE}" already exists (every gateway has it)`);
    }
    return this.store.records.insert<WorkspaceRecord>(
      WORKSPACE_KIND,
      "",
      name,
      { id: randomUUID(), labels: { ...labels }, terminating: false },
      workspaceLabel,
    );
  }

  /** @throws NotFoundError saying how to see the workspaces there are, or make this one. */
  get(name: string): StoredWorkspace {
    if (name === "") throw new InvalidArgumentError("name is required", { field: "name" });
    if (name === DEFAULT_WORKSPACE) return this.defaultWorkspace();
    const stored = this.store.records.get<WorkspaceRecord>(WORKSPACE_KIND, "", name);
    if (stored === undefined) throw notFound(name);
    return stored;
  }

  /** Every workspace, `default` included, ordered by name. */
  list(): StoredWorkspace[] {
    this.defaultWorkspace();
    return this.store.records.list<WorkspaceRecord>(WORKSPACE_KIND, "");
  }

  /**
   * Deletes an empty workspace. One that still holds something is not deleted: it is marked
   * TERMINATING (so nothing new is created in it, see `requireActiveWorkspace`) and the call fails
   * saying what is left; deleting again once that is gone succeeds. The check and the delete (or the
   * mark) are one transaction, so a gateway sharing the state directory cannot slip something in
   * between.
   *
   * @throws FailedPreconditionError for `default`, or while the workspace holds resources.
   * @throws NotFoundError when there is no such workspace.
   */
  delete(name: string): void {
    if (name === DEFAULT_WORKSPACE) {
      throw new FailedPreconditionError(
        `workspace "${DEFAULT_WORKSPACE}" cannot be deleted: every gateway has it (delete what it holds instead)`,
      );
    }
    const records = this.store.records;
    const remaining = records.atomically(() => {
      const stored = this.get(name);
      const contents = workspaceContents(this.store, name);
      if (contents.length === 0) {
        records.delete(WORKSPACE_KIND, "", name);
      } else if (!stored.record.terminating) {
        records.update<WorkspaceRecord>(WORKSPACE_KIND, "", name, (r) => ({ ...r, terminating: true }), {
          label: workspaceLabel,
        });
      }
      return contents;
    });
    if (remaining.length > 0) {
      throw new FailedPreconditionError(
        `workspace "${name}" still contains resources: ${remaining.join(", ")}; it is TERMINATING ` +
          "(nothing new can be created in it): delete those and delete the workspace again",
      );
    }
  }

  private defaultWorkspace(): StoredWorkspace {
    const records = this.store.records;
    const stored = records.get<WorkspaceRecord>(WORKSPACE_KIND, "", DEFAULT_WORKSPACE);
    if (stored !== undefined) return stored;
    try {
      return records.insert<WorkspaceRecord>(
        WORKSPACE_KIND,
        "",
        DEFAULT_WORKSPACE,
        { id: randomUUID(), labels: {}, terminating: false },
        workspaceLabel,
      );
    } catch (error) {
      // Another gateway over the same state directory stored it first: theirs is the one.
      const theirs = records.get<WorkspaceRecord>(WORKSPACE_KIND, "", DEFAULT_WORKSPACE);
      if (error instanceof AlreadyExistsError && theirs !== undefined) return theirs;
      throw error;
    }
  }
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(
    `workspace "${name}" not found: os.workspaces.list() shows those there are; ` +
      `create it with os.workspaces.create({ name: "${name}" })`,
  );
}
