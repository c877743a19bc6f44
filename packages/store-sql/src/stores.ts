import { mysqlDialect } from "./mysql-dialect.js";
import { postgresDialect } from "./postgres-dialect.js";
import { SqlStore, type SqlStoreOptions } from "./sql-store.js";
import { DatabaseUrlError, redactDatabaseUrl, sqlDialectOf } from "./url.js";

/** A {@link SqlStore} on PostgreSQL (11 or later), through `pg`. */
export class PostgresStore extends SqlStore {
  /** @throws RangeError for invalid limits or options. */
  constructor(options: SqlStoreOptions) {
    super(postgresDialect, options);
  }
}

/** A {@link SqlStore} on MySQL 8 or MariaDB 10.3 and later, through `mysql2`. */
export class MysqlStore extends SqlStore {
  /** @throws RangeError for invalid limits or options. */
  constructor(options: SqlStoreOptions) {
    super(mysqlDialect, options);
  }
}

/**
 * The store for `options.url`: a {@link PostgresStore} for `postgresql://`
 * (and `postgres://`, `postgresql+asyncpg://`), a {@link MysqlStore} for
 * `mysql://`, `mysql+aiomysql://`, `mariadb://`.
 * @throws DatabaseUrlError for any other URL (the message has no password).
 */
export function createSqlStore(options: SqlStoreOptions): SqlStore {
  const dialect = sqlDialectOf(options.url);
  switch (dialect) {
    case "postgresql":
      return new PostgresStore(options);
    case "mysql":
      return new MysqlStore(options);
    case undefined:
      throw new DatabaseUrlError(
        `not a PostgreSQL or MySQL/MariaDB URL: ${redactDatabaseUrl(options.url)} (use postgresql://, mysql:// or mariadb://)`,
      );
    default: {
      const _never: never = dialect;
      return _never;
    }
  }
}
