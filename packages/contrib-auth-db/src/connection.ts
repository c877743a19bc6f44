import { isAbsolute, resolve as resolvePath } from "node:path";

/** A database named by a `connection` URL. */
export type ConnectionTarget = { dialect: "sqlite"; file: string } | ServerTarget;

/** A database server (PostgreSQL, or MySQL and MariaDB). */
export interface ServerTarget {
  dialect: "postgresql" | "mysql";
  host: string;
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  /** Folder of a unix socket (`?host=/run/postgresql`, `?unix_socket=/run/mysqld/mysqld.sock`). */
  socket: string | undefined;
}

/** A `connection` URL that names no database we can open. */
export class ConnectionUrlError extends Error {
  override name = "ConnectionUrlError";
}

/**
 * Parse aMQTT's SQLAlchemy connection strings, with or without the `+driver`
 * part: `sqlite+aiosqlite:///relative.db`, `sqlite:////absolute.db`,
 * `postgresql+asyncpg://user:password@host:port/dbname`, `mysql+aiomysql://...`
 * (`mariadb://` too). Relative SQLite paths start at `baseDir`.
 */
export function parseConnectionUrl(connection: string, baseDir = process.cwd()): ConnectionTarget {
  const match = /^([a-z0-9]+)(\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(connection);
  if (match === null)
    throw new ConnectionUrlError(
      'connection must be a URL like "sqlite+aiosqlite:///auth.db" or "postgresql+asyncpg://user@host/db"',
    );
  const scheme = (match[1] as string).toLowerCase();
  const rest = match[3] as string;
  if (scheme === "sqlite") {
    // SQLAlchemy: three slashes then a relative path, four for an absolute one.
    if (!rest.startsWith("/") || rest === "/")
      throw new ConnectionUrlError("a SQLite connection names a file: sqlite:///file.db");
    const path = decodeURIComponent(rest.slice(1).split("?")[0] as string);
    if (path === ":memory:") return { dialect: "sqlite", file: ":memory:" };
    return { dialect: "sqlite", file: isAbsolute(path) ? path : resolvePath(baseDir, path) };
  }
  const dialect =
    scheme === "postgresql" || scheme === "postgres"
      ? "postgresql"
      : scheme === "mysql" || scheme === "mariadb"
        ? "mysql"
        : undefined;
  if (dialect === undefined)
    throw new ConnectionUrlError(
      `unsupported database "${scheme}": use sqlite, postgresql, mysql or mariadb`,
    );
  let url: URL;
  try {
    url = new URL(`db://${rest}`);
  } catch (error) {
    throw new ConnectionUrlError("the connection URL does not parse", { cause: error });
  }
  const text = (value: string) => (value === "" ? undefined : decodeURIComponent(value));
  const socket = url.searchParams.get("host") ?? url.searchParams.get("unix_socket") ?? undefined;
  return {
    dialect,
    host: url.hostname === "" ? "localhost" : url.hostname,
    port: url.port === "" ? undefined : Number(url.port),
    user: text(url.username),
    password: text(url.password),
    database: text(url.pathname.replace(/^\//, "")),
    socket,
  };
}

/** The URL without its password, for logs. */
export function redactConnectionUrl(connection: string): string {
  return connection.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@");
}
