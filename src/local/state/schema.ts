import type { Database } from "better-sqlite3";

/**
 * Schema versions, applied in order inside one transaction each and recorded in `user_version`, so a
 * state directory written by an older SDK is upgraded in place and a half-applied upgrade is
 * impossible. Append only: never edit a step that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sandboxes (
    id TEXT PRIMARY KEY,
    workspace TEXT NOT NULL,
    name TEXT NOT NULL,
    record TEXT NOT NULL,             -- JSON: spec, labels, annotations, phase, container id, ...
    created_ms INTEGER NOT NULL,
    deleted_ms INTEGER                -- set when deleted; the row stays while its logs are kept
  );
  CREATE UNIQUE INDEX sandboxes_live_name ON sandboxes (workspace, name) WHERE deleted_ms IS NULL;

  CREATE TABLE providers (
    workspace TEXT NOT NULL,
    name TEXT NOT NULL,
    record TEXT NOT NULL,             -- JSON, credentials included: the file is 0600
    resource_version INTEGER NOT NULL,
    PRIMARY KEY (workspace, name)
  );

  CREATE TABLE policy_revisions (
    sandbox_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    record TEXT NOT NULL,             -- JSON: policy, hash, status, timestamps
    PRIMARY KEY (sandbox_id, version)
  );

  CREATE TABLE inference_routes (
    workspace TEXT NOT NULL,
    name TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (workspace, name)
  );

  CREATE TABLE sandbox_logs (
    sandbox_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    level TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (sandbox_id, seq)
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE sandbox_settings (
    sandbox_id TEXT PRIMARY KEY,
    record TEXT NOT NULL              -- JSON: UpdateConfig's settings, their revision, annotations
  );
  `,
  `
  CREATE TABLE records (
    kind TEXT NOT NULL,               -- what the record is: workspace, template, service, draft chunk ...
    scope TEXT NOT NULL,              -- what it belongs to: a workspace, or a sandbox id
    name TEXT NOT NULL,
    record TEXT NOT NULL,             -- JSON, shaped by its kind's owner
    resource_version INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, scope, name)
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the state database is at schema ${current}, newer than this SDK understands (${SCHEMA_VERSION}); ` +
        "upgrade openshell, or point local mode at another state directory",
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version += 1) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
