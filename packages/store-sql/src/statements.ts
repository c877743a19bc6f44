// The statements that read the same on PostgreSQL and MySQL/MariaDB (`?` marks a
// parameter; the PostgreSQL connection numbers them). Upserts and the write lock
// differ and live in the dialects.

const MESSAGE = "topic, payload, qos, retain, properties, expires_at";

/** @internal */
export const SQL = {
  readWriteVersion: "SELECT write_version AS v FROM amqtt_store_meta WHERE id = 1",
  loadSession: "SELECT record FROM amqtt_sessions WHERE client_key = ?",
  deleteSession: "DELETE FROM amqtt_sessions WHERE client_key = ?",
  listSessions: "SELECT record FROM amqtt_sessions",
  // Read, then delete the queues, then the sessions, under the rows' locks: served by the expiry index.
  expiredSessions: "SELECT client_key, record FROM amqtt_sessions WHERE expires_at <= ? FOR UPDATE",
  clearExpiredQueues:
    "DELETE FROM amqtt_queue WHERE client_key IN (SELECT client_key FROM amqtt_sessions WHERE expires_at <= ?)",
  deleteExpiredSessions: "DELETE FROM amqtt_sessions WHERE expires_at <= ?",
  queueUsage: "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM amqtt_queue WHERE client_key = ?",
  // Covered by (client_key, seq, size).
  oldestQueued: "SELECT seq, size FROM amqtt_queue WHERE client_key = ? AND seq > ? ORDER BY seq LIMIT 64",
  dropQueuedThrough: "DELETE FROM amqtt_queue WHERE client_key = ? AND seq <= ?",
  enqueue: `INSERT INTO amqtt_queue (client_key, ${MESSAGE}, enqueued_at, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  peekQueue: `SELECT seq, ${MESSAGE}, enqueued_at FROM amqtt_queue WHERE client_key = ? ORDER BY seq LIMIT ?`,
  ackedUsage:
    "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM amqtt_queue WHERE client_key = ? AND seq <= ?",
  clearQueue: "DELETE FROM amqtt_queue WHERE client_key = ?",
  dropExpiredQueued: "DELETE FROM amqtt_queue WHERE expires_at <= ?",
  retainedSize: "SELECT size FROM amqtt_retained WHERE topic_key = ?",
  clearRetained: "DELETE FROM amqtt_retained WHERE topic_key = ?",
  getRetained: `SELECT ${MESSAGE}, stored_at FROM amqtt_retained WHERE topic_key = ?`,
  // The filter's literal prefix narrows the rows sent; `!` escapes LIKE's % and _.
  likeRetained: `SELECT ${MESSAGE}, stored_at FROM amqtt_retained WHERE topic LIKE ? ESCAPE '!'`,
  listRetained: `SELECT ${MESSAGE}, stored_at FROM amqtt_retained`,
  retainedUsage: "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM amqtt_retained",
  expiredRetainedUsage:
    "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM amqtt_retained WHERE expires_at <= ?",
  dropExpiredRetained: "DELETE FROM amqtt_retained WHERE expires_at <= ?",
} as const;

/**
 * A LIKE pattern that every topic matched by `filter` matches: the levels
 * before the first wildcard, then `%` (`sport/#` matches `sport` itself, so
 * the separator is not part of it). `undefined` when the filter starts with a
 * wildcard (every row is a candidate).
 * @internal
 */
export function likePrefix(filter: string): string | undefined {
  const cut = filter.search(/(^|\/)[+#]/);
  const literal = cut === -1 ? filter : filter.slice(0, cut);
  if (literal === "") return undefined;
  return `${literal.replace(/[!%_]/g, "!$&")}%`;
}
