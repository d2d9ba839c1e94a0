import type Database from "better-sqlite3";
import { AlreadyExistsError, ConflictError, NotFoundError } from "../../errors.js";
import { openStateDb } from "./open-state-db.js";
import { RecordStore } from "./record-store.js";
import { SANDBOX_SCOPED_RECORD_KINDS } from "./sandbox-scoped-records.js";
import { storageError, translatingStorageErrors } from "./storage-errors.js";

/** Default number of log lines kept per sandbox (upstream keeps 2000, in memory only). */
export const DEFAULT_LOG_LINES_PER_SANDBOX = 10_000;
/** Default number of deleted sandboxes whose logs are kept. */
export const DEFAULT_DELETED_SANDBOXES_KEPT = 100;

export interface StoredSandbox<R> {
  id: string;
  workspace: string;
  name: string;
  createdMs: number;
  deletedMs: number | null;
  record: R;
}

export interface StoredLogLine {
  sandboxId: string;
  seq: number;
  timestampMs: number;
  level: string;
  source: string;
  target: string;
  message: string;
}

export interface StateStoreOptions {
  logLinesPerSandbox?: number;
  deletedSandboxesKept?: number;
}

interface SandboxRow {
  id: string;
  workspace: string;
  name: string;
  record: string;
  created_ms: number;
  deleted_ms: number | null;
}

/**
 * Local mode's durable state: what the container runtime cannot hold. Records are JSON documents
 * keyed by the columns the gateway looks them up by; the shapes belong to the callers (`R`, `P`).
 * Every method is one transaction.
 */
export class LocalStateStore {
  private readonly logCap: number;
  private readonly deletedKept: number;
  /** Workspaces, workload templates, services, draft chunks: the resources without a table of their own. */
  readonly records: RecordStore;

  private constructor(
    private readonly db: Database.Database,
    options: StateStoreOptions,
    dir: string,
  ) {
    this.logCap = options.logLinesPerSandbox ?? DEFAULT_LOG_LINES_PER_SANDBOX;
    this.deletedKept = options.deletedSandboxesKept ?? DEFAULT_DELETED_SANDBOXES_KEPT;
    this.records = translatingStorageErrors(new RecordStore(db), dir);
  }

  /**
   * Opens (creating when needed) the store in `dir`.
   *
   * @throws ResourceExhaustedError naming `dir`, from this or any method, when its disk is full.
   */
  static open(dir: string, options: StateStoreOptions = {}): LocalStateStore {
    let db: Database.Database;
    try {
      db = openStateDb(dir);
    } catch (error) {
      throw storageError(error, dir);
    }
    return translatingStorageErrors(new LocalStateStore(db, options, dir), dir);
  }

  close(): void {
    this.db.close();
  }

  // Sandboxes -------------------------------------------------------------------------------

  /** AlreadyExistsError when a live sandbox of that name exists in the workspace (across processes too). */
  insertSandbox<R>(sandbox: Omit<StoredSandbox<R>, "deletedMs">): void {
    try {
      this.db
        .prepare("INSERT INTO sandboxes (id, workspace, name, record, created_ms) VALUES (?, ?, ?, ?, ?)")
        .run(sandbox.id, sandbox.workspace, sandbox.name, JSON.stringify(sandbox.record), sandbox.createdMs);
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith("SQLITE_CONSTRAINT")) {
        throw new AlreadyExistsError(
          `sandbox "${sandbox.name}" already exists in workspace "${sandbox.workspace}"`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  getSandbox<R>(id: string): StoredSandbox<R> | undefined {
    const row = this.db.prepare("SELECT * FROM sandboxes WHERE id = ?").get(id) as SandboxRow | undefined;
    return row === undefined ? undefined : toSandbox<R>(row);
  }

  findSandbox<R>(workspace: string, name: string): StoredSandbox<R> | undefined {
    const row = this.db
      .prepare("SELECT * FROM sandboxes WHERE workspace = ? AND name = ? AND deleted_ms IS NULL")
      .get(workspace, name) as SandboxRow | undefined;
    return row === undefined ? undefined : toSandbox<R>(row);
  }

  /** Live sandboxes, oldest first; every workspace when `workspace` is undefined. */
  listSandboxes<R>(workspace?: string): StoredSandbox<R>[] {
    const rows = (
      workspace === undefined
        ? this.db.prepare("SELECT * FROM sandboxes WHERE deleted_ms IS NULL ORDER BY created_ms, id").all()
        : this.db
            .prepare(
              "SELECT * FROM sandboxes WHERE workspace = ? AND deleted_ms IS NULL ORDER BY created_ms, id",
            )
            .all(workspace)
    ) as SandboxRow[];
    return rows.map((row) => toSandbox<R>(row));
  }

  /** Replaces a live sandbox's record through `change`, atomically with respect to other writers. */
  updateSandbox<R>(id: string, change: (record: R) => R): StoredSandbox<R> {
    return this.db
      .transaction(() => {
        const current = this.getSandbox<R>(id);
        if (current === undefined || current.deletedMs !== null)
          throw new NotFoundError(`sandbox ${id} not found`);
        const record = change(current.record);
        this.db.prepare("UPDATE sandboxes SET record = ? WHERE id = ?").run(JSON.stringify(record), id);
        return { ...current, record };
      })
      .immediate();
  }

  /**
   * Marks a sandbox deleted: its name is free again, its policy revisions, settings and records
   * (SANDBOX_SCOPED_RECORD_KINDS) go, and its logs stay readable by id, until more
   * than `deletedSandboxesKept` deleted sandboxes have piled up (the oldest go first, logs and all).
   */
  markSandboxDeleted(id: string, nowMs: number): void {
    this.db
      .transaction(() => {
        this.db
          .prepare("UPDATE sandboxes SET deleted_ms = ? WHERE id = ? AND deleted_ms IS NULL")
          .run(nowMs, id);
        this.db.prepare("DELETE FROM policy_revisions WHERE sandbox_id = ?").run(id);
        this.db.prepare("DELETE FROM sandbox_settings WHERE sandbox_id = ?").run(id);
        for (const kind of Object.values(SANDBOX_SCOPED_RECORD_KINDS)) {
          this.db.prepare("DELETE FROM records WHERE kind = ? AND scope = ?").run(kind, id);
        }
        const expired = this.db
          .prepare(
            "SELECT id FROM sandboxes WHERE deleted_ms IS NOT NULL ORDER BY deleted_ms DESC, id LIMIT -1 OFFSET ?",
          )
          .all(this.deletedKept) as { id: string }[];
        for (const { id: old } of expired) {
          this.db.prepare("DELETE FROM sandbox_logs WHERE sandbox_id = ?").run(old);
          this.db.prepare("DELETE FROM sandboxes WHERE id = ?").run(old);
        }
      })
      .immediate();
  }

  // Providers -------------------------------------------------------------------------------

  /** Creates (`expectedVersion` 0) or replaces at `expectedVersion`; returns the new resource version. */
  putProvider<P>(workspace: string, name: string, record: P, expectedVersion: number): number {
    return this.db
      .transaction(() => {
        const row = this.db
          .prepare("SELECT resource_version FROM providers WHERE workspace = ? AND name = ?")
          .get(workspace, name) as { resource_version: number } | undefined;
        if (expectedVersion === 0 && row !== undefined) {
          throw new AlreadyExistsError(`provider "${name}" already exists in workspace "${workspace}"`);
        }
        if (expectedVersion !== 0 && row === undefined)
          throw new NotFoundError(`provider "${name}" not found`);
        if (row !== undefined && row.resource_version !== expectedVersion) {
          throw new ConflictError(
            `provider "${name}" changed since version ${expectedVersion} (now ${row.resource_version}); read it again`,
          );
        }
        const next = expectedVersion + 1;
        this.db
          .prepare(
            "INSERT OR REPLACE INTO providers (workspace, name, record, resource_version) VALUES (?, ?, ?, ?)",
          )
          .run(workspace, name, JSON.stringify(record), next);
        return next;
      })
      .immediate();
  }

  getProvider<P>(workspace: string, name: string): { record: P; resourceVersion: number } | undefined {
    const row = this.db
      .prepare("SELECT record, resource_version FROM providers WHERE workspace = ? AND name = ?")
      .get(workspace, name) as { record: string; resource_version: number } | undefined;
    return row === undefined
      ? undefined
      : { record: JSON.parse(row.record) as P, resourceVersion: row.resource_version };
  }

  /** Ordered by name (then workspace); every workspace when `workspace` is undefined. */
  listProviders<P>(workspace?: string): { name: string; record: P; resourceVersion: number }[] {
    const rows = (
      workspace === undefined
        ? this.db
            .prepare("SELECT name, record, resource_version FROM providers ORDER BY name, workspace")
            .all()
        : this.db
            .prepare("SELECT name, record, resource_version FROM providers WHERE workspace = ? ORDER BY name")
            .all(workspace)
    ) as { name: string; record: string; resource_version: number }[];
    return rows.map((row) => ({
      name: row.name,
      record: JSON.parse(row.record) as P,
      resourceVersion: row.resource_version,
    }));
  }

  /** True when something was deleted. */
  deleteProvider(workspace: string, name: string): boolean {
    return (
      this.db.prepare("DELETE FROM providers WHERE workspace = ? AND name = ?").run(workspace, name).changes >
      0
    );
  }

  // Policy revisions ------------------------------------------------------------------------

  /** Appends the next revision (version = last + 1) and returns its version. */
  appendPolicyRevision<V>(sandboxId: string, build: (version: number) => V): number {
    return this.db
      .transaction(() => {
        const last = this.db
          .prepare("SELECT MAX(version) AS v FROM policy_revisions WHERE sandbox_id = ?")
          .get(sandboxId) as { v: number | null };
        const version = (last.v ?? 0) + 1;
        this.db
          .prepare("INSERT INTO policy_revisions (sandbox_id, version, record) VALUES (?, ?, ?)")
          .run(sandboxId, version, JSON.stringify(build(version)));
        return version;
      })
      .immediate();
  }

  updatePolicyRevision<V>(sandboxId: string, version: number, change: (record: V) => V): void {
    this.db
      .transaction(() => {
        const row = this.db
          .prepare("SELECT record FROM policy_revisions WHERE sandbox_id = ? AND version = ?")
          .get(sandboxId, version) as { record: string } | undefined;
        if (row === undefined)
          throw new NotFoundError(`policy revision ${version} of sandbox ${sandboxId} not found`);
        this.db
          .prepare("UPDATE policy_revisions SET record = ? WHERE sandbox_id = ? AND version = ?")
          .run(JSON.stringify(change(JSON.parse(row.record) as V)), sandboxId, version);
      })
      .immediate();
  }

  /**
   * Rewrites, in one transaction, every revision of the sandbox for which `change` returns a record
   * (undefined leaves it as it is); returns how many changed. For status changes that touch several
   * revisions at once, such as one loading and the one before it being superseded.
   */
  updatePolicyRevisions<V>(sandboxId: string, change: (record: V, version: number) => V | undefined): number {
    return this.db
      .transaction(() => {
        const rows = this.db
          .prepare("SELECT version, record FROM policy_revisions WHERE sandbox_id = ? ORDER BY version")
          .all(sandboxId) as { version: number; record: string }[];
        const update = this.db.prepare(
          "UPDATE policy_revisions SET record = ? WHERE sandbox_id = ? AND version = ?",
        );
        let changed = 0;
        for (const row of rows) {
          const next = change(JSON.parse(row.record) as V, row.version);
          if (next === undefined) continue;
          update.run(JSON.stringify(next), sandboxId, row.version);
          changed += 1;
        }
        return changed;
      })
      .immediate();
  }

  getPolicyRevision<V>(sandboxId: string, version: number): V | undefined {
    const row = this.db
      .prepare("SELECT record FROM policy_revisions WHERE sandbox_id = ? AND version = ?")
      .get(sandboxId, version) as { record: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record) as V);
  }

  /** Newest first. A negative `limit` means no limit. */
  listPolicyRevisions<V>(sandboxId: string, limit: number, offset: number): { version: number; record: V }[] {
    const rows = this.db
      .prepare(
        "SELECT version, record FROM policy_revisions WHERE sandbox_id = ? ORDER BY version DESC LIMIT ? OFFSET ?",
      )
      .all(sandboxId, limit, offset) as { version: number; record: string }[];
    return rows.map((row) => ({ version: row.version, record: JSON.parse(row.record) as V }));
  }

  // Sandbox settings ------------------------------------------------------------------------

  /** The sandbox's settings record (UpdateConfig's settings), undefined before the first change. */
  getSandboxSettings<S>(sandboxId: string): S | undefined {
    const row = this.db.prepare("SELECT record FROM sandbox_settings WHERE sandbox_id = ?").get(sandboxId) as
      | { record: string }
      | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record) as S);
  }

  /** Replaces the sandbox's settings record through `change` (given undefined the first time), atomically. */
  updateSandboxSettings<S>(sandboxId: string, change: (record: S | undefined) => S): S {
    return this.db
      .transaction(() => {
        const record = change(this.getSandboxSettings<S>(sandboxId));
        this.db
          .prepare("INSERT OR REPLACE INTO sandbox_settings (sandbox_id, record) VALUES (?, ?)")
          .run(sandboxId, JSON.stringify(record));
        return record;
      })
      .immediate();
  }

  // Inference routes ------------------------------------------------------------------------

  putRoute<T>(workspace: string, name: string, record: T): void {
    this.db
      .prepare("INSERT OR REPLACE INTO inference_routes (workspace, name, record) VALUES (?, ?, ?)")
      .run(workspace, name, JSON.stringify(record));
  }

  getRoute<T>(workspace: string, name: string): T | undefined {
    const row = this.db
      .prepare("SELECT record FROM inference_routes WHERE workspace = ? AND name = ?")
      .get(workspace, name) as { record: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record) as T);
  }

  deleteRoute(workspace: string, name: string): boolean {
    return (
      this.db.prepare("DELETE FROM inference_routes WHERE workspace = ? AND name = ?").run(workspace, name)
        .changes > 0
    );
  }

  /** How many routes a workspace has. */
  countRoutes(workspace: string): number {
    const row = this.db
      .prepare("SELECT COUNT(*) AS n FROM inference_routes WHERE workspace = ?")
      .get(workspace) as { n: number };
    return row.n;
  }

  // Logs ------------------------------------------------------------------------------------

  /** Appends lines in order and trims the sandbox's log to the newest `logLinesPerSandbox`. */
  appendLogs(sandboxId: string, lines: readonly Omit<StoredLogLine, "sandboxId" | "seq">[]): void {
    if (lines.length === 0) return;
    this.db
      .transaction(() => {
        const last = this.db
          .prepare("SELECT MAX(seq) AS s FROM sandbox_logs WHERE sandbox_id = ?")
          .get(sandboxId) as {
          s: number | null;
        };
        const insert = this.db.prepare(
          "INSERT INTO sandbox_logs (sandbox_id, seq, timestamp_ms, level, source, target, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
        );
        let seq = last.s ?? 0;
        for (const line of lines) {
          seq += 1;
          insert.run(sandboxId, seq, line.timestampMs, line.level, line.source, line.target, line.message);
        }
        this.db
          .prepare("DELETE FROM sandbox_logs WHERE sandbox_id = ? AND seq <= ?")
          .run(sandboxId, seq - this.logCap);
      })
      .immediate();
  }

  /**
   * Where a sandbox's log of one source ends: the timestamp of its last stored line and how many
   * stored lines of that source carry that timestamp. Undefined when it has none.
   */
  lastLogPosition(sandboxId: string, source: string): { timestampMs: number; count: number } | undefined {
    return this.db
      .transaction(() => {
        const last = this.db
          .prepare(
            "SELECT timestamp_ms AS t FROM sandbox_logs WHERE sandbox_id = ? AND source = ? ORDER BY seq DESC LIMIT 1",
          )
          .get(sandboxId, source) as { t: number } | undefined;
        if (last === undefined) return undefined;
        const { n } = this.db
          .prepare(
            "SELECT COUNT(*) AS n FROM sandbox_logs WHERE sandbox_id = ? AND source = ? AND timestamp_ms = ?",
          )
          .get(sandboxId, source, last.t) as { n: number };
        return { timestampMs: last.t, count: n };
      })
      .deferred();
  }

  /** The newest `lines` lines at or after `sinceMs`, oldest first, and how many the sandbox has in all. */
  readLogs(sandboxId: string, lines: number, sinceMs = 0): { lines: StoredLogLine[]; total: number } {
    const rows = this.db
      .prepare(
        "SELECT * FROM (SELECT * FROM sandbox_logs WHERE sandbox_id = ? AND timestamp_ms >= ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
      )
      .all(sandboxId, sinceMs, lines) as {
      sandbox_id: string;
      seq: number;
      timestamp_ms: number;
      level: string;
      source: string;
      target: string;
      message: string;
    }[];
    const total = (
      this.db.prepare("SELECT COUNT(*) AS n FROM sandbox_logs WHERE sandbox_id = ?").get(sandboxId) as {
        n: number;
      }
    ).n;
    return {
      total,
      lines: rows.map((row) => ({
        sandboxId: row.sandbox_id,
        seq: row.seq,
        timestampMs: row.timestamp_ms,
        level: row.level,
        source: row.source,
        target: row.target,
        message: row.message,
      })),
    };
  }
}

function toSandbox<R>(row: SandboxRow): StoredSandbox<R> {
  return {
    id: row.id,
    workspace: row.workspace,
    name: row.name,
    createdMs: row.created_ms,
    deletedMs: row.deleted_ms,
    record: JSON.parse(row.record) as R,
  };
}
