import pg from "pg";
import {
  type ConnectionTimeouts,
  closeWithin,
  messageOf,
  type QueryResult,
  type Row,
  type SqlConnection,
} from "./connection.js";
import { StoreConnectionError } from "./errors.js";

// SQLSTATE classes and codes that mean the session is gone: 08 (connection
// exception), 57P01-57P03 (server shut down or backend terminated).
const LOST_CODES = /^(08|57P0[123])/;
const STATEMENT_TIMEOUT = "57014";

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (our SQL has no `?` elsewhere). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * One `pg` client with the store's time limits: connect, and every statement
 * both on the server (`statement_timeout`) and on the client (a server that
 * stops answering). A broken session rejects with `StoreConnectionError`.
 * @internal
 */
export async function connectPostgres(
  url: string,
  target: string,
  timeouts: ConnectionTimeouts,
): Promise<SqlConnection> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    statement_timeout: timeouts.queryTimeoutMs,
    // The client gives up a little later than the server, which reports its own timeout.
    query_timeout: timeouts.queryTimeoutMs + 1000,
    application_name: "amqtt-store",
    keepAlive: true,
  });
  let lost = false;
  // Without listeners, an error on an idle connection would crash the process.
  client.on("error", () => {
    lost = true;
  });
  client.on("end", () => {
    lost = true;
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new StoreConnectionError(`cannot connect to PostgreSQL at ${target}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return {
    get lost() {
      return lost;
    },
    async query(sql, params = []): Promise<QueryResult> {
      if (lost) throw new StoreConnectionError(`the connection to PostgreSQL at ${target} is lost`);
      try {
        const result = await client.query<Row>(numbered(sql), params as unknown[]);
        return { rows: result.rows, affected: result.rowCount ?? 0, insertId: 0 };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === STATEMENT_TIMEOUT) {
          throw new StoreConnectionError(
            `a statement on PostgreSQL at ${target} ran past ${timeouts.queryTimeoutMs} ms`,
            { cause: error },
          );
        }
        // A client-side timeout, a reset socket or a terminated backend: the session is gone.
        if (lost || typeof code !== "string" || LOST_CODES.test(code)) {
          lost = true;
          throw new StoreConnectionError(
            `lost the connection to PostgreSQL at ${target}: ${messageOf(error)}`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    },
    close: () => closeWithin(client.end(), 2000),
  };
}
