import { APPLICATION, type Dialect, firstNumber } from "./dialect.js";
import { connectPostgres } from "./postgres-connection.js";

const RETAINED_COLUMNS = "topic_key, topic, payload, qos, retain, properties, expires_at, stored_at, size";

/** PostgreSQL (11 or later: covering indexes), through `pg`. @internal */
export const postgresDialect: Dialect = {
  name: "postgresql",
  label: "PostgreSQL",
  connect: connectPostgres,
  currentSchema: "current_schema()",
  transactionalDdl: true,
  migrations: [
    {
      version: 1,
      description: "sessions, offline queues and retained messages",
      statements: [
        `CREATE TABLE amqtt_store_meta (
           id SMALLINT PRIMARY KEY, application TEXT NOT NULL,
           schema_version INTEGER NOT NULL, write_version BIGINT NOT NULL)`,
        `INSERT INTO amqtt_store_meta (id, application, schema_version, write_version)
           VALUES (1, '${APPLICATION}', 0, 0) ON CONFLICT (id) DO NOTHING`,
        // Keys are SHA-256 digests: client ids and topics may be 65,535 bytes, beyond any B-tree entry.
        `CREATE TABLE amqtt_sessions (
           client_key BYTEA PRIMARY KEY, expires_at BIGINT, record TEXT NOT NULL)`,
        "CREATE INDEX amqtt_sessions_by_expiry ON amqtt_sessions (expires_at) WHERE expires_at IS NOT NULL",
        // An identity never hands out a value twice, across deletes and restarts.
        `CREATE TABLE amqtt_queue (
           seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, client_key BYTEA NOT NULL,
           topic TEXT NOT NULL, payload BYTEA NOT NULL, qos SMALLINT NOT NULL, retain BOOLEAN NOT NULL,
           properties TEXT, expires_at BIGINT, enqueued_at BIGINT NOT NULL, size INTEGER NOT NULL)`,
        "CREATE INDEX amqtt_queue_by_client ON amqtt_queue (client_key, seq) INCLUDE (size)",
        "CREATE INDEX amqtt_queue_by_expiry ON amqtt_queue (expires_at) WHERE expires_at IS NOT NULL",
        `CREATE TABLE amqtt_retained (
           topic_key BYTEA PRIMARY KEY, topic TEXT NOT NULL, payload BYTEA NOT NULL, qos SMALLINT NOT NULL,
           retain BOOLEAN NOT NULL, properties TEXT, expires_at BIGINT, stored_at BIGINT NOT NULL,
           size INTEGER NOT NULL)`,
        "CREATE INDEX amqtt_retained_by_expiry ON amqtt_retained (expires_at) WHERE expires_at IS NOT NULL",
      ],
    },
  ],
  // 0x414D5154, "AMQT".
  lockMigrations: "SELECT pg_advisory_lock(1095586132)",
  unlockMigrations: "SELECT pg_advisory_unlock(1095586132)",
  saveSession: `INSERT INTO amqtt_sessions (client_key, expires_at, record) VALUES (?, ?, ?)
    ON CONFLICT (client_key) DO UPDATE SET expires_at = EXCLUDED.expires_at, record = EXCLUDED.record`,
  setRetained: `INSERT INTO amqtt_retained (${RETAINED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (topic_key) DO UPDATE SET topic = EXCLUDED.topic, payload = EXCLUDED.payload,
      qos = EXCLUDED.qos, retain = EXCLUDED.retain, properties = EXCLUDED.properties,
      expires_at = EXCLUDED.expires_at, stored_at = EXCLUDED.stored_at, size = EXCLUDED.size`,
  bumpWriteVersion: async (connection) =>
    firstNumber(
      await connection.query(
        "UPDATE amqtt_store_meta SET write_version = write_version + 1 WHERE id = 1 RETURNING write_version AS v",
      ),
      "v",
    ),
};
