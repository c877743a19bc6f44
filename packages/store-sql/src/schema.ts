import type { SqlConnection } from "./connection.js";
import { APPLICATION, type Dialect, type Migration, STORE_TABLES } from "./dialect.js";
import { StoreSchemaError } from "./errors.js";

/**
 * The schema version of the database (0: none of our tables yet).
 * @throws StoreSchemaError for tables of ours that another program made, or a newer schema.
 */
async function inspect(connection: SqlConnection, dialect: Dialect, latest: number): Promise<number> {
  const { rows } = await connection.query(
    `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = ${dialect.currentSchema} AND table_name IN (?, ?, ?, ?)`,
    STORE_TABLES,
  );
  const names = rows.map((row) => String(row.name)).sort();
  if (names.length === 0) return 0;
  if (!names.includes("amqtt_store_meta")) {
    throw new StoreSchemaError("foreign", `tables ${names.join(", ")} and no amqtt_store_meta`);
  }
  const meta = await connection.query(
    "SELECT application, schema_version FROM amqtt_store_meta WHERE id = 1",
  );
  const row = meta.rows[0];
  // An empty meta table: a MySQL migration cut short right after creating it; it runs again.
  if (row === undefined) return 0;
  if (row.application !== APPLICATION) {
    throw new StoreSchemaError(
      "foreign",
      `amqtt_store_meta of application ${JSON.stringify(row.application)}`,
    );
  }
  const version = Number(row.schema_version);
  if (version > latest) {
    throw new StoreSchemaError(
      "newer-version",
      `schema version ${version}, this release reads up to ${latest}`,
    );
  }
  return version;
}

/**
 * Bring the database to the last of `dialect.migrations`, under a lock that
 * serialises stores starting at once. Each step and its version are one
 * transaction on PostgreSQL; on MySQL (DDL commits by itself) a step's
 * statements are idempotent and its version is written last, so a step cut
 * short runs again. Returns the version reached.
 * @throws StoreSchemaError before anything is written, for a database that is not ours.
 * @internal
 */
export async function migrate(
  connection: SqlConnection,
  dialect: Dialect,
  migrations: readonly Migration[] = dialect.migrations,
): Promise<number> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  // A cheap look first: an up-to-date store needs no lock.
  if ((await inspect(connection, dialect, latest)) === latest) return latest;
  await connection.query(dialect.lockMigrations);
  try {
    let version = await inspect(connection, dialect, latest);
    for (const step of migrations.slice(version)) {
      if (dialect.transactionalDdl) await connection.query("BEGIN");
      try {
        for (const statement of step.statements) await connection.query(statement);
        await connection.query("UPDATE amqtt_store_meta SET schema_version = ? WHERE id = 1", [step.version]);
        if (dialect.transactionalDdl) await connection.query("COMMIT");
      } catch (error) {
        if (dialect.transactionalDdl && !connection.lost) await connection.query("ROLLBACK").catch(() => {});
        throw error;
      }
      version = step.version;
    }
    return version;
  } finally {
    if (!connection.lost) await connection.query(dialect.unlockMigrations).catch(() => {});
  }
}
