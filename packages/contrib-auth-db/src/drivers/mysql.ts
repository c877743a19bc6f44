import mysql from "mysql2/promise";
import type { ServerTarget } from "../connection.js";
import type { Driver, PoolLimits, Row } from "../driver-types.js";

/** MySQL and MariaDB through `mysql2`'s pool, bounded in size, waiting queue and connect time. */
export function openMysql(target: ServerTarget, limits: PoolLimits): Driver {
  const pool = mysql.createPool({
    ...(target.socket !== undefined
      ? { socketPath: target.socket }
      : { host: target.host, port: target.port ?? 3306 }),
    user: target.user,
    password: target.password,
    database: target.database,
    connectionLimit: limits.size,
    queueLimit: limits.maxPending,
    connectTimeout: limits.timeoutMs,
    waitForConnections: true,
  });
  return {
    query: async (sql, params) => {
      const [rows] = await pool.query({ sql, timeout: limits.timeoutMs }, [...params]);
      return rows as Row[];
    },
    run: async (sql, params) => {
      const [result] = await pool.query({ sql, timeout: limits.timeoutMs }, [...params]);
      return (result as { affectedRows?: number }).affectedRows ?? 0;
    },
    close: () => pool.end(),
  };
}
