import type Database from "better-sqlite3";

/**
 * The SQLite application id of this package's files ("AMQT" in ASCII), kept in
 * the database header, so a file from another program is recognised and refused.
 */
export const APPLICATION_ID = 0x414d5154;

/** One step of the schema: from `version - 1` to `version`. */
export interface Migration {
  /** The schema version this step produces (1, 2, ...). */
  version: number;
  /** What the step changes, for logs and reviews. */
  description: string;
  /** Apply the step. Runs inside a transaction that also sets `user_version`. */
  up(db: Database.Database): void;
}

const createSchema: Migration = {
  version: 1,
  description: "sessions, offline queues and retained messages",
  up(db) {
    db.exec(`
      CREATE TABLE sessions (
        client_id  TEXT PRIMARY KEY NOT NULL,
        expires_at INTEGER,
        record     TEXT NOT NULL
      );
      CREATE INDEX sessions_by_expiry ON sessions (expires_at) WHERE expires_at IS NOT NULL;

      -- AUTOINCREMENT: a seq is never reused, even after the newest rows are deleted and the file reopened.
      CREATE TABLE queue (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id   TEXT NOT NULL,
        topic       TEXT NOT NULL,
        payload     BLOB NOT NULL,
        qos         INTEGER NOT NULL,
        retain      INTEGER NOT NULL,
        properties  TEXT,
        expires_at  INTEGER,
        enqueued_at INTEGER NOT NULL,
        size        INTEGER NOT NULL
      );
      -- Covers usage sums and drop-oldest scans without touching the rows.
      CREATE INDEX queue_by_client ON queue (client_id, seq, size);
      CREATE INDEX queue_by_expiry ON queue (expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE retained (
        topic      TEXT PRIMARY KEY NOT NULL,
        payload    BLOB NOT NULL,
        qos        INTEGER NOT NULL,
        retain     INTEGER NOT NULL,
        properties TEXT,
        expires_at INTEGER,
        stored_at  INTEGER NOT NULL,
        size       INTEGER NOT NULL
      );
      CREATE INDEX retained_by_expiry ON retained (expires_at) WHERE expires_at IS NOT NULL;
    `);
    db.pragma(`application_id = ${APPLICATION_ID}`);
  },
};

/** Every schema step in order; the last one's version is the current schema. */
export const MIGRATIONS: readonly Migration[] = [createSchema];

/** The schema version this release writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring `db` from schema version `from` to the last of `migrations`, one
 * transaction per step (the step and its `user_version` commit together, so a
 * crash leaves the file at a whole version). Returns the version reached.
 * @throws Error when the list is not numbered 1, 2, 3, ... or a step throws
 * (that step is rolled back; earlier ones stay).
 * @internal
 */
export function migrate(db: Database.Database, from: number, migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
  let version = from;
  for (const step of migrations.slice(from)) {
    db.transaction(() => {
      // Another process may have opened the same new file and migrated it first.
      if (Number(db.pragma("user_version", { simple: true })) >= step.version) return;
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
    version = step.version;
  }
  return version;
}
