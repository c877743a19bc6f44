import { readFile } from "node:fs/promises";
import { redactUrl } from "@amqtt/store";

/** The SQL servers this package speaks to. */
export type SqlDialect = "postgresql" | "mysql";

/** A database URL that names no server this package serves. */
export class DatabaseUrlError extends Error {
  override name = "DatabaseUrlError";
}

// aMQTT's SQLAlchemy spellings and the plain ones; the `+driver` part is ignored.
const SCHEMES: Readonly<Record<string, SqlDialect>> = {
  postgresql: "postgresql",
  postgres: "postgresql",
  mysql: "mysql",
  mariadb: "mysql",
};

/**
 * The dialect a URL names: `postgresql://`, `postgres://`,
 * `postgresql+asyncpg://` give `"postgresql"`; `mysql://`, `mysql+aiomysql://`,
 * `mariadb://`, `mariadb+mariadbconnector://` give `"mysql"`; `undefined` otherwise.
 */
export function sqlDialectOf(url: string): SqlDialect | undefined {
  const m = /^([a-z][a-z0-9]*)(?:\+[a-z0-9_]+)?:\/\//i.exec(url);
  return m === null ? undefined : SCHEMES[(m[1] as string).toLowerCase()];
}

/**
 * `url` with its password replaced by `***`, for logs and error messages.
 * Anything that does not parse is replaced whole. (`redactUrl` of
 * `@amqtt/store`, with this package's placeholder.)
 */
export function redactDatabaseUrl(url: string): string {
  return redactUrl(url, "<database URL>");
}

/** A server URL ready for its driver, and the redacted form for messages. @internal */
export interface ServerUrl {
  dialect: SqlDialect;
  /** `postgresql://...` or `mysql://...`, the password filled in from the file when one was given. */
  url: string;
  /** Host, port and database, no credentials. */
  target: string;
}

/**
 * Normalise aMQTT's URL spellings for the drivers and take the password from
 * `passwordFile` when given (its first line; it wins over a password in the URL).
 * @throws DatabaseUrlError for another scheme or a URL that does not parse.
 * @internal
 */
export async function resolveServerUrl(
  url: string,
  expected: SqlDialect,
  passwordFile?: string,
): Promise<ServerUrl> {
  const dialect = sqlDialectOf(url);
  if (dialect !== expected) {
    throw new DatabaseUrlError(
      `expected a ${expected === "postgresql" ? "postgresql://" : "mysql:// or mariadb://"} URL, got ${redactDatabaseUrl(url)}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^[^:]+:/, `${dialect}:`));
  } catch (error) {
    throw new DatabaseUrlError("the database URL does not parse", { cause: error });
  }
  if (passwordFile !== undefined) {
    const text = await readFile(passwordFile, "utf8");
    parsed.password = encodeURIComponent(text.split(/\r?\n/)[0] ?? "");
  }
  return { dialect, url: parsed.toString(), target: `${parsed.host}${parsed.pathname}` };
}
