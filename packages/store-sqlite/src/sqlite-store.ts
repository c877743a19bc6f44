import { topicMatches } from "@amqtt/message";
import {
  type BatchingStoreOptions,
  type BrokerStore,
  type EnqueueResult,
  fromTaggedJson,
  type QueuedRecord,
  type QueueEntry,
  type RetainedRecord,
  type RetainResult,
  resolveStoreLimits,
  retainedRefusal,
  type SessionRecord,
  StoreClosedError,
  type StoredMessage,
  type StoreLimits,
  type StoreUsage,
  storedMessageSize,
  toTaggedJson,
  UsageCache,
} from "@amqtt/store";
import type Database from "better-sqlite3";
import { openStoreDatabase } from "./open-database.js";
import { retainedGlob } from "./retained-prefix.js";
import { type QueueRow, queueEntryOf, type RetainedRow, retainedOf } from "./rows.js";
import { MIGRATIONS, type Migration } from "./schema.js";
import { prepareStatements, type Statements } from "./statements.js";
import { TurnBatch } from "./turn-batch.js";

/** How hard a commit is pushed to disk. */
export type SqliteDurability = "full" | "relaxed";

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions extends BatchingStoreOptions {
  /** The database file; its directory is created when missing. */
  path: string;
  /**
   * `"full"` (default): `synchronous=FULL`, every commit is fsynced, so a
   * resolved `flush()` survives a power loss. `"relaxed"`: `synchronous=NORMAL`
   * in WAL mode, a resolved `flush()` survives a crash of the process (SIGKILL)
   * but the last commits may be lost if the machine itself goes down.
   */
  durability?: SqliteDurability;
  /** How long a write waits for another connection's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Schema steps, for tests of the migration mechanism only. @internal */
  migrations?: readonly Migration[];
}

type State = "new" | "open" | "closed";

interface Connection {
  db: Database.Database;
  sql: Statements;
  batch: TurnBatch;
  queueUsage: UsageCache;
  /** Count and bytes of the retained messages, updated in place. */
  retained: StoreUsage;
  /** `PRAGMA data_version` when the counters were last known right. */
  dataVersion: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BATCH_WRITES = 10_000;
const DEFAULT_USAGE_CACHE_CLIENTS = 10_000;

/**
 * A {@link BrokerStore} in an SQLite file (better-sqlite3, WAL mode):
 * persistent sessions, offline queues and retained messages that survive
 * restarts and crashes.
 *
 * Each call runs at once in the current event-loop turn's transaction (so later
 * reads see it); the transaction commits when the turn ends, and `flush()`
 * resolves after that commit. A crash keeps a prefix of the writes. Bounds are
 * checked against per-client counters kept in memory (loaded on first use), so
 * `enqueue` does not count rows. Several instances may share a file: a batch
 * holds the write lock, and counters are read again when another connection
 * committed in between (`PRAGMA data_version`).
 */
export class SqliteStore implements BrokerStore {
  readonly persistent = true;
  readonly limits: StoreLimits;
  /** The database file. */
  readonly path: string;
  /** The sync level of commits. */
  readonly durability: SqliteDurability;
  private readonly busyTimeoutMs: number;
  private readonly maxBatchWrites: number;
  private readonly usageCacheClients: number;
  private readonly migrations: readonly Migration[];
  private state: State = "new";
  private connection: Connection | undefined;
  private failure: unknown;

  /** @throws RangeError for invalid limits or options. */
  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.limits = resolveStoreLimits(options.limits);
    this.durability = options.durability ?? "full";
    if (this.durability !== "full" && this.durability !== "relaxed") {
      throw new RangeError(`durability must be "full" or "relaxed", got ${JSON.stringify(this.durability)}`);
    }
    this.busyTimeoutMs = positiveInteger("busyTimeoutMs", options.busyTimeoutMs, DEFAULT_BUSY_TIMEOUT_MS, 0);
    this.maxBatchWrites = positiveInteger("maxBatchWrites", options.maxBatchWrites, DEFAULT_MAX_BATCH_WRITES);
    this.usageCacheClients = positiveInteger(
      "usageCacheClients",
      options.usageCacheClients,
      DEFAULT_USAGE_CACHE_CLIENTS,
    );
    this.migrations = options.migrations ?? MIGRATIONS;
  }

  /** Transactions committed by this instance (a batch of writes is one). */
  get commits(): number {
    return this.connection?.batch.commits ?? 0;
  }

  /** True while writes of the current turn wait for their commit. */
  get pendingCommit(): boolean {
    return this.connection?.batch.pending ?? false;
  }

  /** Clients whose queue usage is held in memory now (at most `usageCacheClients`). */
  get cachedQueueUsages(): number {
    return this.connection?.queueUsage.size ?? 0;
  }

  /**
   * Open or create the file, refuse it when it is not a store of this package
   * (or of a newer release), switch to WAL and migrate the schema.
   * @throws StoreFormatError for such a file, which is left untouched; the
   * instance stays unopened.
   */
  async open(): Promise<void> {
    if (this.state === "closed") throw new StoreClosedError("open after close", { cause: this.failure });
    if (this.state === "open") return;
    const db = openStoreDatabase(this.path, {
      durability: this.durability,
      busyTimeoutMs: this.busyTimeoutMs,
      migrations: this.migrations,
    });
    const sql = prepareStatements(db);
    const connection: Connection = {
      db,
      sql,
      batch: new TurnBatch(
        db,
        this.maxBatchWrites,
        (error) => this.fail(error),
        () => refreshCounters(connection),
      ),
      queueUsage: new UsageCache(
        this.usageCacheClients,
        (clientId) => sql.queueUsage.get(clientId) as StoreUsage,
      ),
      retained: { ...(sql.retainedUsage.get() as StoreUsage) },
      dataVersion: sql.dataVersion.get() as number,
    };
    this.connection = connection;
    this.state = "open";
  }

  /** Commit what is pending, then close the file. Rejects when that last commit fails. */
  async close(): Promise<void> {
    const connection = this.connection;
    if (connection === undefined) {
      this.state = "closed";
      return;
    }
    connection.batch.commitNow();
    // A failed commit has closed the connection already (see fail).
    if (this.connection !== undefined) {
      this.connection = undefined;
      connection.db.close();
      this.state = "closed";
    } else {
      throw this.failure;
    }
  }

  async flush(): Promise<void> {
    return this.use("flush").batch.flush();
  }

  // --- sessions ---

  async saveSession(record: SessionRecord): Promise<void> {
    const { sql, batch } = this.write("saveSession");
    batch.run(() => sql.saveSession.run(record.clientId, record.expiresAt ?? null, toTaggedJson(record)));
  }

  async loadSession(clientId: string): Promise<SessionRecord | undefined> {
    const text = this.use("loadSession").sql.loadSession.get(clientId) as string | undefined;
    return text === undefined ? undefined : fromTaggedJson<SessionRecord>(text);
  }

  async deleteSession(clientId: string): Promise<void> {
    const { sql, batch, queueUsage } = this.write("deleteSession");
    batch.runAtomic(() => {
      sql.deleteSession.run(clientId);
      sql.clearQueue.run(clientId);
    });
    queueUsage.forget(clientId);
  }

  async listSessions(): Promise<SessionRecord[]> {
    const texts = this.use("listSessions").sql.listSessions.all() as string[];
    return texts.map((text) => fromTaggedJson<SessionRecord>(text));
  }

  async deleteExpiredSessions(now: number): Promise<SessionRecord[]> {
    const { sql, batch, queueUsage } = this.write("deleteExpiredSessions");
    const rows = batch.runAtomic(() => {
      // Served by the partial index on expires_at.
      const deleted = sql.deleteExpiredSessions.all(now) as { clientId: string; record: string }[];
      for (const row of deleted) sql.clearQueue.run(row.clientId);
      return deleted;
    });
    for (const row of rows) queueUsage.forget(row.clientId);
    return rows.map((row) => fromTaggedJson<SessionRecord>(row.record));
  }

  // --- offline queues ---

  async enqueue(clientId: string, message: QueuedRecord): Promise<EnqueueResult> {
    const { sql, batch, queueUsage } = this.write("enqueue");
    const { maxQueuedMessages, maxQueuedBytes, queueOverflow } = this.limits;
    const size = storedMessageSize(message);
    if (size > maxQueuedBytes) return { accepted: false, dropped: 0 };
    const usage = queueUsage.get(clientId);
    let dropCount = 0;
    let dropBytes = 0;
    const full = (): boolean =>
      usage.count - dropCount + 1 > maxQueuedMessages || usage.bytes - dropBytes + size > maxQueuedBytes;
    if (full() && queueOverflow === "refuse-new") return { accepted: false, dropped: 0 };
    const insert = (): unknown =>
      sql.enqueue.run(clientId, ...messageColumns(message), message.enqueuedAt, size);
    if (!full()) batch.run(insert);
    else {
      // Drop and insert together: a failed insert must not leave the drop behind.
      batch.runAtomic(() => {
        let throughSeq = 0;
        for (const row of sql.oldestQueued.iterate(clientId) as IterableIterator<{
          seq: number;
          size: number;
        }>) {
          throughSeq = row.seq;
          dropCount++;
          dropBytes += row.size;
          if (!full()) break; // leaving the loop closes the cursor before the next statement
        }
        sql.dropQueuedThrough.run(clientId, throughSeq);
        insert();
      });
    }
    usage.count += 1 - dropCount;
    usage.bytes += size - dropBytes;
    return { accepted: true, dropped: dropCount };
  }

  async peekQueue(clientId: string, max: number): Promise<QueueEntry[]> {
    const { sql } = this.use("peekQueue");
    if (!(max > 0)) return [];
    const rows = sql.peekQueue.all(clientId, Number.isFinite(max) ? Math.floor(max) : -1) as QueueRow[];
    return rows.map(queueEntryOf);
  }

  async ackQueue(clientId: string, throughSeq: number): Promise<number> {
    const { sql, batch, queueUsage } = this.write("ackQueue");
    const sizes = batch.run(() => sql.ackQueue.all(clientId, throughSeq) as number[]);
    const usage = queueUsage.peek(clientId);
    if (usage !== undefined) {
      usage.count -= sizes.length;
      for (const size of sizes) usage.bytes -= size;
    }
    return sizes.length;
  }

  async queueUsage(clientId: string): Promise<StoreUsage> {
    const connection = this.use("queueUsage");
    if (!connection.batch.pending) refreshCounters(connection);
    const usage = connection.queueUsage.get(clientId);
    return { count: usage.count, bytes: usage.bytes };
  }

  async clearQueue(clientId: string): Promise<void> {
    const { sql, batch, queueUsage } = this.write("clearQueue");
    batch.run(() => sql.clearQueue.run(clientId));
    queueUsage.forget(clientId);
  }

  async dropExpiredQueued(now: number): Promise<number> {
    const { sql, batch, queueUsage } = this.write("dropExpiredQueued");
    const rows = batch.run(() => sql.dropExpiredQueued.all(now) as { clientId: string; size: number }[]);
    for (const row of rows) {
      const usage = queueUsage.peek(row.clientId);
      if (usage !== undefined) {
        usage.count--;
        usage.bytes -= row.size;
      }
    }
    return rows.length;
  }

  // --- retained messages ---

  async setRetained(message: RetainedRecord): Promise<RetainResult> {
    const { sql, batch, retained } = this.write("setRetained");
    const previous = sql.retainedSize.get(message.topic) as number | undefined;
    if (message.payload.byteLength === 0) {
      if (previous !== undefined) {
        batch.run(() => sql.clearRetained.run(message.topic));
        retained.count--;
        retained.bytes -= previous;
      }
      return { stored: true };
    }
    const size = storedMessageSize(message);
    const refusedBy = retainedRefusal(this.limits, retained, previous, size);
    if (refusedBy !== undefined) return { stored: false, refusedBy };
    batch.run(() => sql.setRetained.run(...messageColumns(message), message.storedAt, size));
    if (previous === undefined) retained.count++;
    retained.bytes += size - (previous ?? 0);
    return { stored: true };
  }

  async getRetained(topic: string): Promise<RetainedRecord | undefined> {
    const row = this.use("getRetained").sql.getRetained.get(topic) as RetainedRow | undefined;
    return row === undefined ? undefined : retainedOf(row);
  }

  async matchRetained(filter: string): Promise<RetainedRecord[]> {
    const { sql } = this.use("matchRetained");
    const glob = retainedGlob(filter);
    const rows = (glob === undefined ? sql.listRetained.all() : sql.globRetained.all(glob)) as RetainedRow[];
    const out: RetainedRecord[] = [];
    for (const row of rows) if (topicMatches(filter, row.topic)) out.push(retainedOf(row));
    return out;
  }

  async listRetained(): Promise<RetainedRecord[]> {
    return (this.use("listRetained").sql.listRetained.all() as RetainedRow[]).map(retainedOf);
  }

  async retainedUsage(): Promise<StoreUsage> {
    const connection = this.use("retainedUsage");
    if (!connection.batch.pending) refreshCounters(connection);
    const { retained } = connection;
    return { count: retained.count, bytes: retained.bytes };
  }

  async dropExpiredRetained(now: number): Promise<number> {
    const { sql, batch, retained } = this.write("dropExpiredRetained");
    const sizes = batch.run(() => sql.dropExpiredRetained.all(now) as number[]);
    retained.count -= sizes.length;
    for (const size of sizes) retained.bytes -= size;
    return sizes.length;
  }

  /**
   * The open connection with its batch open, for a write: from here until the
   * commit this connection holds the write lock, so the counters it reads stay true.
   */
  private write(operation: string): Connection {
    const connection = this.use(operation);
    connection.batch.open();
    return connection;
  }

  /** The open connection, or a StoreClosedError. */
  private use(operation: string): Connection {
    if (this.connection === undefined) throw new StoreClosedError(operation, { cause: this.failure });
    return this.connection;
  }

  /**
   * Writes that were reported as applied are lost (a failed commit): going on
   * would break the prefix rule, so the store closes and rejects every later call.
   */
  private fail(error: unknown): void {
    this.failure = error;
    const connection = this.connection;
    this.connection = undefined;
    this.state = "closed";
    connection?.db.close();
  }
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
  return value;
}

/**
 * Forget cached counters when another connection committed to the file since
 * they were read (the counters of this connection would be stale).
 */
function refreshCounters(connection: Connection): void {
  const version = connection.sql.dataVersion.get() as number;
  if (version === connection.dataVersion) return;
  connection.dataVersion = version;
  connection.queueUsage.clear();
  Object.assign(connection.retained, connection.sql.retainedUsage.get() as StoreUsage);
}

/** The columns every stored message has, in table order: topic, payload, qos, retain, properties, expires_at. */
function messageColumns(
  message: StoredMessage,
): [string, Uint8Array, number, number, string | null, number | null] {
  return [
    message.topic,
    message.payload,
    message.qos,
    message.retain ? 1 : 0,
    message.properties === undefined ? null : toTaggedJson(message.properties),
    message.expiresAt ?? null,
  ];
}
