import Sqlite from "better-sqlite3";
import type { Driver, Row } from "../driver-types.js";

/** SQLite through better-sqlite3 (synchronous calls, wrapped in promises). */
export function openSqlite(file: string): Driver {
  const db = new Sqlite(file);
  // Readers and the broker's writers do not block each other; wait briefly on a lock held by user_mgr.
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 2000");
  const bind = (params: readonly unknown[]) => params.map((p) => (typeof p === "boolean" ? Number(p) : p));
  return {
    query: async (sql, params) => db.prepare(sql).all(...bind(params)) as Row[],
    run: async (sql, params) => db.prepare(sql).run(...bind(params)).changes,
    close: async () => {
      db.close();
    },
  };
}
