import pg from "pg";
import type { ServerTarget } from "../connection.js";
import type { Driver, PoolLimits, Row } from "../driver-types.js";

/** PostgreSQL through `pg`'s pool, bounded in size and in connect and statement time. */
export function openPostgres(target: ServerTarget, limits: PoolLimits): Driver {
  const pool = new pg.Pool({
    host: target.socket ?? target.host,
    port: target.port ?? 5432,
    user: target.user,
    password: target.password,
    database: target.database,
    max: limits.size,
    connectionTimeoutMillis: limits.timeoutMs,
    query_timeout: limits.timeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that breaks emits here; without a listener it would crash the process.
  pool.on("error", () => {});
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    query: async (sql, params) => (await pool.query(numbered(sql), [...params])).rows as Row[],
    run: async (sql, params) => (await pool.query(numbered(sql), [...params])).rowCount ?? 0,
    close: () => pool.end(),
  };
}
