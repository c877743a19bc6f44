import mysql from "mysql2/promise";
import type { ConnectionTimeouts, QueryResult, Row, SqlConnection } from "./connection.js";
import { closeWithin, messageOf } from "./connection.js";
import { StoreConnectionError } from "./errors.js";

// ER_LOCK_WAIT_TIMEOUT and ER_STATEMENT_TIMEOUT / ER_QUERY_TIMEOUT: the statement
// failed on time, the session is still usable.
const TIMEOUT_ERRNOS = new Set([1205, 1969, 3024]);

/**
 * One `mysql2` connection (MySQL or MariaDB) with the store's time limits: the
 * connect, every statement (client side; the driver closes a connection whose
 * statement timed out) and row-lock waits (server side). A broken session
 * rejects with `StoreConnectionError`.
 * @internal
 */
export async function connectMysql(
  url: string,
  target: string,
  timeouts: ConnectionTimeouts,
): Promise<SqlConnection> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      uri: url,
      connectTimeout: timeouts.connectTimeoutMs,
      charset: "utf8mb4",
      supportBigNumbers: true,
      multipleStatements: false,
    });
  } catch (error) {
    throw new StoreConnectionError(`cannot connect to MySQL/MariaDB at ${target}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  let lost = false;
  // Without a listener, an error on an idle connection would crash the process.
  connection.on("error", () => {
    lost = true;
  });
  const query = async (sql: string, params: readonly unknown[] = []): Promise<QueryResult> => {
    if (lost) throw new StoreConnectionError(`the connection to MySQL/MariaDB at ${target} is lost`);
    try {
      // The client gives up a little later than the server's lock wait, which reports its own timeout.
      const [result] = await connection.query({ sql, timeout: timeouts.queryTimeoutMs + 1000 }, [...params]);
      if (Array.isArray(result)) return { rows: result as Row[], affected: 0, insertId: 0 };
      const header = result as mysql.ResultSetHeader;
      return { rows: [], affected: header.affectedRows, insertId: header.insertId };
    } catch (error) {
      const { fatal, errno } = error as { fatal?: unknown; errno?: unknown };
      if (typeof errno === "number" && TIMEOUT_ERRNOS.has(errno)) {
        throw new StoreConnectionError(`a statement on MySQL/MariaDB at ${target} timed out`, {
          cause: error,
        });
      }
      if (fatal === true || lost) {
        lost = true;
        throw new StoreConnectionError(
          `lost the connection to MySQL/MariaDB at ${target}: ${messageOf(error)}`,
          { cause: error },
        );
      }
      throw error;
    }
  };
  // Row locks wait as long as a statement may take (whole seconds here).
  await query(
    `SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(timeouts.queryTimeoutMs / 1000))}`,
  );
  return {
    get lost() {
      return lost;
    },
    query,
    close: async () => {
      if (lost) connection.destroy();
      else await closeWithin(connection.end(), 2000);
    },
  };
}
