import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { StoreFormatError } from "./errors.js";
import { APPLICATION_ID, type Migration, migrate } from "./schema.js";

/** What {@link openStoreDatabase} needs. @internal */
export interface OpenDatabaseOptions {
  /** `full`: synchronous=FULL (each commit fsynced); `relaxed`: synchronous=NORMAL. */
  durability: "full" | "relaxed";
  busyTimeoutMs: number;
  migrations: readonly Migration[];
}

const SQLITE_HEADER = "SQLite format 3\0";
// WAL files keep growing only up to this size once checkpointed.
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

/**
 * Open (or create) the store database at `path`: refuse files that are not ours
 * before anything is written to them, then switch to WAL, set the sync level and
 * migrate the schema to the last of `migrations`.
 * @throws StoreFormatError for a file that is not SQLite, another program's
 * database or a newer schema; the file is left unmodified.
 * @internal
 */
export function openStoreDatabase(path: string, options: OpenDatabaseOptions): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  checkHeader(path);
  const db = new Database(path);
  try {
    // Connection settings only: nothing here writes to the file.
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    const version = inspect(db, path, options.migrations.length);
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`${path}: SQLite refused WAL mode (journal_mode is ${String(mode)})`);
    db.pragma(`synchronous = ${options.durability === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    migrate(db, version, options.migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Refuse a non-empty file that does not start with SQLite's header, before SQLite touches it. */
function checkHeader(path: string): void {
  if (!existsSync(path) || statSync(path).size === 0) return;
  const fd = openSync(path, "r");
  const header = Buffer.alloc(SQLITE_HEADER.length);
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1") !== SQLITE_HEADER) {
    throw new StoreFormatError(path, "not-sqlite", `header bytes ${header.toString("hex")}`);
  }
}

/** The schema version of a database of ours (0 for an empty one). */
function inspect(db: Database.Database, path: string, latest: number): number {
  let applicationId: number;
  let version: number;
  let objects: string[];
  try {
    applicationId = Number(db.pragma("application_id", { simple: true }));
    version = Number(db.pragma("user_version", { simple: true }));
    objects = db
      .prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[];
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new StoreFormatError(path, "not-sqlite", `SQLite could not read it (${String(code)})`, {
      cause: error,
    });
  }
  if (applicationId === APPLICATION_ID) {
    if (version > latest) {
      throw new StoreFormatError(
        path,
        "newer-version",
        `schema version ${version}, this release reads up to ${latest}`,
      );
    }
    if (version < 1) throw new StoreFormatError(path, "damaged", `schema version ${version}`);
    return version;
  }
  if (applicationId === 0 && version === 0 && objects.length === 0) return 0; // an empty database
  const listed = objects.length === 0 ? "no tables" : `tables ${objects.slice(0, 5).join(", ")}`;
  throw new StoreFormatError(
    path,
    "foreign",
    `application id 0x${(applicationId >>> 0).toString(16)}, user_version ${version}, ${listed}`,
  );
}
