import { isAbsolute, join, resolve as resolvePath } from "node:path";
import { z } from "zod";
import type { ConfigIssue } from "./errors.js";

/** The `persistence` section as written. */
export const persistenceSchema = z.strictObject({
  /** `sqlite` (what the `amqtt` command uses by default) or `memory` (nothing survives a restart). */
  store: z.enum(["memory", "sqlite"]).optional(),
  /** Folder of the SQLite file (`amqtt.db` inside); created when missing. */
  data_dir: z.string().min(1).optional(),
  /** The SQLite file itself; wins over `data_dir`. */
  file: z.string().min(1).optional(),
  /**
   * `full` (default): PUBACK/PUBREC only once the message is on disk.
   * `relaxed`: the disk syncs less often; a power loss (not a process crash) may lose the last writes.
   */
  durability: z.enum(["full", "relaxed"]).optional(),
  /** aMQTT's SessionDBPlugin option: erase stored state at a graceful shutdown. */
  clear_on_shutdown: z.boolean().optional(),
});

/** Where the broker keeps sessions, queues and retained messages. */
export interface ResolvedPersistence {
  /** `undefined` when the configuration does not say: the embedding (or the `amqtt` command) chooses. */
  store: "memory" | "sqlite" | undefined;
  /** Absolute path of the SQLite file, when `store` is `sqlite` and a place was given. */
  file: string | undefined;
  durability: "full" | "relaxed";
  clearOnShutdown: boolean;
}

/** The file name inside a data directory. */
export const DATA_FILE_NAME = "amqtt.db";

/** aMQTT's session persistence plugin names, whose options map onto `persistence`. */
export const SESSION_DB_PLUGINS = new Set([
  "amqtt.contrib.persistence.SessionDBPlugin",
  "amqtt.plugins.persistence.SQLitePlugin",
]);

const sessionDbOptions = z.strictObject({
  /** SQLAlchemy URL; only SQLite URLs (`sqlite:///file`, `sqlite+aiosqlite:///file`) are served. */
  connection: z.string().optional(),
  /** Deprecated aMQTT option: the SQLite file. */
  file: z.string().optional(),
  clear_on_shutdown: z.boolean().optional(),
});

/**
 * Resolve `persistence` and aMQTT's SessionDBPlugin entry (`plugins` key path
 * given) into one setting. Relative paths are taken from `baseDir`.
 */
export function resolvePersistence(
  written: z.output<typeof persistenceSchema> | null | undefined,
  sessionDb: { options: unknown; path: string } | undefined,
  baseDir: string,
  issues: ConfigIssue[],
): ResolvedPersistence {
  const out: ResolvedPersistence = {
    store: written?.store,
    file: undefined,
    durability: written?.durability ?? "full",
    clearOnShutdown: written?.clear_on_shutdown ?? false,
  };
  const absolute = (p: string) => (isAbsolute(p) ? p : resolvePath(baseDir, p));
  if (written?.file !== undefined) out.file = absolute(written.file);
  else if (written?.data_dir !== undefined) out.file = join(absolute(written.data_dir), DATA_FILE_NAME);
  if (out.store === "memory" && out.file !== undefined)
    issues.push({ path: "persistence", message: "file and data_dir need store: sqlite, not memory" });
  if (sessionDb === undefined) return out;
  const parsed = sessionDbOptions.safeParse(sessionDb.options ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      issues.push({ path: [sessionDb.path, ...issue.path.map(String)].join("."), message: issue.message });
    return out;
  }
  const options = parsed.data;
  let file = options.file;
  if (options.connection !== undefined) {
    // sqlite:///relative.db, sqlite:////absolute.db, with or without a +driver.
    const m = /^sqlite(?:\+\w+)?:\/\/\/(.+)$/.exec(options.connection);
    if (m === null) {
      issues.push({
        path: `${sessionDb.path}.connection`,
        message: `only SQLite is served (sqlite:///file.db), not ${options.connection.split(":")[0]}`,
      });
      return out;
    }
    file = m[1]!;
  }
  out.store = "sqlite";
  // aMQTT's default database is amqtt.db in the working folder.
  out.file ??= absolute(file ?? DATA_FILE_NAME);
  // aMQTT clears the database at shutdown unless told not to.
  out.clearOnShutdown = written?.clear_on_shutdown ?? options.clear_on_shutdown ?? true;
  return out;
}
