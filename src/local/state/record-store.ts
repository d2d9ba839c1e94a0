import type Database from "better-sqlite3";
import { AlreadyExistsError, ConflictError, NotFoundError } from "../../errors.js";

/**
 * One stored record: a JSON document of some `kind` (workspace, workload template, service, draft
 * chunk, ...), named within a `scope` (a workspace, or a sandbox id), with a resource version that
 * starts at 1 and grows by one at every change.
 */
export interface StoredRecord<T> {
  kind: string;
  scope: string;
  name: string;
  record: T;
  resourceVersion: number;
  createdMs: number;
}

interface RecordRow {
  kind: string;
  scope: string;
  name: string;
  record: string;
  resource_version: number;
  created_ms: number;
}

/** What an error about a record calls it, e.g. `workload template "web" in workspace "default"`. */
export type RecordLabel = (name: string, scope: string) => string;

/**
 * The local gateway's stored resources that have no table of their own: each kind's owner shapes its
 * record, and this store keeps them durable, versioned and atomic. Every method is one transaction;
 * {@link RecordStore.atomically} groups several (nested calls become savepoints).
 */
export class RecordStore {
  constructor(private readonly db: Database.Database) {}

  /**
   * Inserts a new record at resource version 1.
   *
   * @throws AlreadyExistsError (with `label`'s words) when one of that kind, scope and name exists.
   */
  insert<T>(kind: string, scope: string, name: string, record: T, label: RecordLabel): StoredRecord<T> {
    const createdMs = Date.now();
    try {
      this.db
        .prepare(
          "INSERT INTO records (kind, scope, name, record, resource_version, created_ms) VALUES (?, ?, ?, ?, 1, ?)",
        )
        .run(kind, scope, name, JSON.stringify(record), createdMs);
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith("SQLITE_CONSTRAINT")) {
        throw new AlreadyExistsError(`${label(name, scope)} already exists`, { cause: error });
      }
      throw error;
    }
    return { kind, scope, name, record, resourceVersion: 1, createdMs };
  }

  /** Inserts or replaces a record; a replaced one keeps its creation time and gets the next version. */
  put<T>(kind: string, scope: string, name: string, record: T): StoredRecord<T> {
    return this.db
      .transaction(() => {
        const current = this.get<T>(kind, scope, name);
        const resourceVersion = (current?.resourceVersion ?? 0) + 1;
        const createdMs = current?.createdMs ?? Date.now();
        this.db
          .prepare(
            "INSERT OR REPLACE INTO records (kind, scope, name, record, resource_version, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
          )
          .run(kind, scope, name, JSON.stringify(record), resourceVersion, createdMs);
        return { kind, scope, name, record, resourceVersion, createdMs };
      })
      .immediate();
  }

  /**
   * Replaces a record through `change`, atomically with respect to other writers (other processes
   * sharing the state directory included).
   *
   * @param expectedVersion when given, the version the caller last read: a record changed since is a
   *   ConflictError saying to read it again.
   * @throws NotFoundError (with `label`'s words) when there is no such record.
   */
  update<T>(
    kind: string,
    scope: string,
    name: string,
    change: (record: T) => T,
    options: { label: RecordLabel; expectedVersion?: number },
  ): StoredRecord<T> {
    return this.db
      .transaction(() => {
        const current = this.get<T>(kind, scope, name);
        if (current === undefined) throw new NotFoundError(`${options.label(name, scope)} not found`);
        if (options.expectedVersion !== undefined && options.expectedVersion !== current.resourceVersion) {
          throw new ConflictError(
            `${options.label(name, scope)} changed since version ${options.expectedVersion} ` +
              `(now ${current.resourceVersion}); read it again`,
          );
        }
        const record = change(current.record);
        const resourceVersion = current.resourceVersion + 1;
        this.db
          .prepare(
            "UPDATE records SET record = ?, resource_version = ? WHERE kind = ? AND scope = ? AND name = ?",
          )
          .run(JSON.stringify(record), resourceVersion, kind, scope, name);
        return { ...current, record, resourceVersion };
      })
      .immediate();
  }

  get<T>(kind: string, scope: string, name: string): StoredRecord<T> | undefined {
    const row = this.db
      .prepare("SELECT * FROM records WHERE kind = ? AND scope = ? AND name = ?")
      .get(kind, scope, name) as RecordRow | undefined;
    return row === undefined ? undefined : toRecord<T>(row);
  }

  /** Records of a kind ordered by name (then scope); every scope when `scope` is undefined. */
  list<T>(kind: string, scope?: string): StoredRecord<T>[] {
    const rows = (
      scope === undefined
        ? this.db.prepare("SELECT * FROM records WHERE kind = ? ORDER BY name, scope").all(kind)
        : this.db.prepare("SELECT * FROM records WHERE kind = ? AND scope = ? ORDER BY name").all(kind, scope)
    ) as RecordRow[];
    return rows.map((row) => toRecord<T>(row));
  }

  /** How many records of a kind a scope holds. */
  count(kind: string, scope: string): number {
    const row = this.db
      .prepare("SELECT COUNT(*) AS n FROM records WHERE kind = ? AND scope = ?")
      .get(kind, scope) as { n: number };
    return row.n;
  }

  /**
   * How many records of each kind a scope holds, by kind name (kinds it holds none of are absent):
   * what a workspace still contains, whoever's kinds they are.
   */
  countByKind(scope: string): Map<string, number> {
    const rows = this.db
      .prepare("SELECT kind, COUNT(*) AS n FROM records WHERE scope = ? GROUP BY kind ORDER BY kind")
      .all(scope) as { kind: string; n: number }[];
    return new Map(rows.map((row) => [row.kind, row.n]));
  }

  /** True when something was deleted. */
  delete(kind: string, scope: string, name: string): boolean {
    return (
      this.db.prepare("DELETE FROM records WHERE kind = ? AND scope = ? AND name = ?").run(kind, scope, name)
        .changes > 0
    );
  }

  /** Deletes every record of a kind in a scope (a deleted sandbox's drafts, say); returns how many. */
  deleteScope(kind: string, scope: string): number {
    return this.db.prepare("DELETE FROM records WHERE kind = ? AND scope = ?").run(kind, scope).changes;
  }

  /**
   * Runs `work` as one transaction: either every change it makes through this store is kept, or none
   * (when it throws). Reads inside see a consistent state; other writers wait.
   */
  atomically<R>(work: () => R): R {
    return this.db.transaction(work).immediate();
  }
}

function toRecord<T>(row: RecordRow): StoredRecord<T> {
  return {
    kind: row.kind,
    scope: row.scope,
    name: row.name,
    record: JSON.parse(row.record) as T,
    resourceVersion: row.resource_version,
    createdMs: row.created_ms,
  };
}
