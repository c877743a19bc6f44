import { APPLICATION, type Dialect } from "./dialect.js";
import { connectMysql } from "./mysql-connection.js";

// Binary collation: LIKE and comparisons are case- and accent-exact, as topics are.
const TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

/** MySQL 8 and MariaDB 10.3 or later (persistent auto-increment counters), through `mysql2`. @internal */
export const mysqlDialect: Dialect = {
  name: "mysql",
  label: "MySQL/MariaDB",
  connect: connectMysql,
  currentSchema: "DATABASE()",
  transactionalDdl: false,
  migrations: [
    {
      version: 1,
      description: "sessions, offline queues and retained messages",
      // IF NOT EXISTS: MySQL commits each DDL statement, so a step cut short is run again whole.
      statements: [
        `CREATE TABLE IF NOT EXISTS amqtt_store_meta (
           id SMALLINT PRIMARY KEY, application VARCHAR(64) NOT NULL,
           schema_version INT NOT NULL, write_version BIGINT NOT NULL) ${TABLE_OPTIONS}`,
        `INSERT IGNORE INTO amqtt_store_meta (id, application, schema_version, write_version)
           VALUES (1, '${APPLICATION}', 0, 0)`,
        // Keys are SHA-256 digests: client ids and topics may be 65,535 bytes, beyond any index key.
        `CREATE TABLE IF NOT EXISTS amqtt_sessions (
           client_key BINARY(32) PRIMARY KEY, expires_at BIGINT NULL, record LONGTEXT NOT NULL,
           INDEX amqtt_sessions_by_expiry (expires_at)) ${TABLE_OPTIONS}`,
        `CREATE TABLE IF NOT EXISTS amqtt_queue (
           seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, client_key BINARY(32) NOT NULL,
           topic LONGTEXT NOT NULL, payload LONGBLOB NOT NULL, qos TINYINT NOT NULL, retain BOOLEAN NOT NULL,
           properties LONGTEXT NULL, expires_at BIGINT NULL, enqueued_at BIGINT NOT NULL, size INT NOT NULL,
           INDEX amqtt_queue_by_client (client_key, seq, size), INDEX amqtt_queue_by_expiry (expires_at))
           ${TABLE_OPTIONS}`,
        `CREATE TABLE IF NOT EXISTS amqtt_retained (
           topic_key BINARY(32) PRIMARY KEY, topic LONGTEXT NOT NULL, payload LONGBLOB NOT NULL,
           qos TINYINT NOT NULL, retain BOOLEAN NOT NULL, properties LONGTEXT NULL, expires_at BIGINT NULL,
           stored_at BIGINT NOT NULL, size INT NOT NULL, INDEX amqtt_retained_by_expiry (expires_at))
           ${TABLE_OPTIONS}`,
      ],
    },
  ],
  lockMigrations: "SELECT GET_LOCK('amqtt_store_migrate', 60)",
  unlockMigrations: "SELECT RELEASE_LOCK('amqtt_store_migrate')",
  // VALUES(col) rather than an alias: MariaDB has no `AS new` row alias.
  saveSession: `INSERT INTO amqtt_sessions (client_key, expires_at, record) VALUES (?, ?, ?)
    ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at), record = VALUES(record)`,
  setRetained: `INSERT INTO amqtt_retained
      (topic_key, topic, payload, qos, retain, properties, expires_at, stored_at, size)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON DUPLICATE KEY UPDATE topic = VALUES(topic), payload = VALUES(payload), qos = VALUES(qos),
      retain = VALUES(retain), properties = VALUES(properties), expires_at = VALUES(expires_at),
      stored_at = VALUES(stored_at), size = VALUES(size)`,
  // LAST_INSERT_ID(expr) hands the new value back in the OK packet: one round trip, as RETURNING.
  bumpWriteVersion: async (connection) =>
    (
      await connection.query(
        "UPDATE amqtt_store_meta SET write_version = LAST_INSERT_ID(write_version + 1) WHERE id = 1",
      )
    ).insertId,
};
