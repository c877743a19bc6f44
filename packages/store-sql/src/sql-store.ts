import { topicMatches } from "@amqtt/message";
import type * as Store from "@amqtt/store";
import {
  fromTaggedJson,
  resolveStoreLimits,
  retainedRefusal,
  StoreClosedError,
  storedMessageSize,
  toTaggedJson,
  UsageCache,
} from "@amqtt/store";
import type { SqlConnection } from "./connection.js";
import { type Dialect, firstNumber, type Migration } from "./dialect.js";
import { keyOf, messageParams, queueEntryOf, retainedOf } from "./rows.js";
import { migrate } from "./schema.js";
import { SerialBatch } from "./serial-batch.js";
import { likePrefix, SQL } from "./statements.js";
import { redactDatabaseUrl, resolveServerUrl } from "./url.js";

/** Options of {@link PostgresStore} and {@link MysqlStore}. */
export interface SqlStoreOptions extends Store.BatchingStoreOptions {
  /**
   * The server: `postgresql://user:password@host:port/db` (or aMQTT's
   * `postgresql+asyncpg://...`), `mysql://...`, `mysql+aiomysql://...`,
   * `mariadb://...`. Query parameters go to the driver (`?sslmode=require`, `?ssl=...`).
   */
  url: string;
  /** A file whose first line is the password; it wins over a password in the URL. */
  passwordFile?: string;
  /** Limits on the server's time, in ms: connecting, and one statement or row-lock wait. Default 10,000 each. */
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  /** Bound on the calls waiting for the database; past it a call rejects with `StoreBusyError`. Default 100,000. */
  maxPendingOperations?: number;
  /** Test only: the schema steps, to exercise migrations. @internal */
  migrations?: readonly Migration[];
}

type State = "new" | "open" | "closed";

/**
 * A {@link Store.BrokerStore} on a database server, the code both dialects share
 * (PostgreSQL: {@link PostgresStore}; MySQL and MariaDB: {@link MysqlStore}).
 *
 * Every call goes, in call order, to one session on the server; writes are
 * grouped into one transaction until no call waits (group commit), and
 * `flush()` resolves once the COMMIT holding every earlier write has returned.
 * Bounds are checked against counters kept in memory, which a batch makes
 * exact: it starts by bumping a counter row (its lock is the write lock until
 * the commit), and a jump in that counter means another instance wrote in
 * between, so the counters are read again.
 */
export class SqlStore implements Store.BrokerStore {
  readonly persistent = true;
  /** Every broker node on the same server sees the same sessions and queues. */
  readonly shared = true;
  readonly limits: Store.StoreLimits;
  /** `postgresql` or `mysql`. */
  readonly dialect: Dialect["name"];
  /** The URL with its password replaced by `***`, for logs. */
  readonly target: string;
  private readonly options: SqlStoreOptions;
  private readonly sqlDialect: Dialect;
  private state: State = "new";
  private batch: SerialBatch | undefined;
  private readonly usages: UsageCache;
  private retained: Store.StoreUsage = { count: 0, bytes: 0 };
  private writeVersion = 0;

  /** @throws RangeError for invalid limits or options. */
  constructor(dialect: Dialect, options: SqlStoreOptions) {
    this.sqlDialect = dialect;
    this.dialect = dialect.name;
    this.options = options;
    this.limits = resolveStoreLimits(options.limits);
    this.target = redactDatabaseUrl(options.url);
    for (const name of [
      "connectTimeoutMs",
      "queryTimeoutMs",
      "maxBatchWrites",
      "maxPendingOperations",
      "usageCacheClients",
    ] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
      }
    }
    // Counters are loaded inside the serial batch (the loader is passed per call).
    this.usages = new UsageCache(options.usageCacheClients ?? 10_000, () => ({ count: 0, bytes: 0 }));
  }

  /** How many batches this instance has committed. */
  get commits(): number {
    return this.batch?.commits ?? 0;
  }

  /** Database sessions this instance opened: 1, plus one for each broken session replaced. */
  get sessionsOpened(): number {
    return this.batch?.sessionsOpened ?? 0;
  }

  /** Calls waiting for the database now (at most `maxPendingOperations`). */
  get pendingOperations(): number {
    return this.batch?.pending ?? 0;
  }

  /** How many clients' queue counters are in memory now (never more than `usageCacheClients`). */
  get cachedQueueUsages(): number {
    return this.usages.size;
  }

  /**
   * Connect, refuse a database whose `amqtt_*` tables are not ours (or newer),
   * create or migrate the schema, and read the retained counters.
   * @throws StoreConnectionError when the server cannot be reached in time,
   * StoreSchemaError for such a database (nothing written), DatabaseUrlError
   * for a URL of another kind.
   */
  async open(): Promise<void> {
    if (this.state === "closed")
      throw new StoreClosedError("open after close", { cause: this.batch?.failure });
    if (this.state === "open") return;
    const server = await resolveServerUrl(this.options.url, this.sqlDialect.name, this.options.passwordFile);
    const timeouts = {
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      queryTimeoutMs: this.options.queryTimeoutMs ?? 10_000,
    };
    const connect = () => this.sqlDialect.connect(server.url, server.target, timeouts);
    let first: SqlConnection | undefined = await connect();
    try {
      await migrate(first, this.sqlDialect, this.options.migrations);
      await this.reloadCounters(first);
      this.writeVersion = firstNumber(await first.query(SQL.readWriteVersion), "v");
    } catch (error) {
      await first.close();
      throw error;
    }
    this.batch = new SerialBatch({
      connect: async () => {
        const connection = first ?? (await connect());
        first = undefined;
        return connection;
      },
      begin: (connection) => this.takeWriteLock(connection),
      maxBatchWrites: this.options.maxBatchWrites ?? 10_000,
      maxPending: this.options.maxPendingOperations ?? 100_000,
      onFailure: () => this.usages.clear(),
    });
    this.state = "open";
  }

  /** Commit what is pending, then disconnect. Rejects when that last commit fails; calling again resolves. */
  async close(): Promise<void> {
    const batch = this.batch;
    if (this.state !== "open" || batch === undefined) {
      this.state = "closed";
      return;
    }
    this.state = "closed";
    await batch.close();
  }

  async flush(): Promise<void> {
    return this.use("flush").flush();
  }

  // --- sessions ---

  async saveSession(record: Store.SessionRecord): Promise<void> {
    // Serialised now: a caller may change the record once the call returns.
    const params = [keyOf(record.clientId), record.expiresAt ?? null, toTaggedJson(record)];
    await this.use("saveSession").write((c) => c.query(this.sqlDialect.saveSession, params));
  }

  async loadSession(clientId: string): Promise<Store.SessionRecord | undefined> {
    const key = keyOf(clientId);
    const { rows } = await this.use("loadSession").read((c) => c.query(SQL.loadSession, [key]));
    return rows[0] === undefined ? undefined : fromTaggedJson<Store.SessionRecord>(String(rows[0].record));
  }

  async deleteSession(clientId: string): Promise<void> {
    const key = keyOf(clientId);
    await this.use("deleteSession").write(async (c) => {
      await c.query(SQL.deleteSession, [key]);
      await c.query(SQL.clearQueue, [key]);
      this.usages.forget(clientId);
    });
  }

  async listSessions(): Promise<Store.SessionRecord[]> {
    const { rows } = await this.use("listSessions").read((c) => c.query(SQL.listSessions));
    return rows.map((row) => fromTaggedJson<Store.SessionRecord>(String(row.record)));
  }

  async deleteExpiredSessions(now: number): Promise<Store.SessionRecord[]> {
    return this.use("deleteExpiredSessions").write(async (c) => {
      const { rows } = await c.query(SQL.expiredSessions, [now]);
      if (rows.length === 0) return [];
      await c.query(SQL.clearExpiredQueues, [now]);
      await c.query(SQL.deleteExpiredSessions, [now]);
      const records = rows.map((row) => fromTaggedJson<Store.SessionRecord>(String(row.record)));
      for (const record of records) this.usages.forget(record.clientId);
      return records;
    });
  }

  // --- offline queues ---

  async enqueue(clientId: string, message: Store.QueuedRecord): Promise<Store.EnqueueResult> {
    const batch = this.use("enqueue");
    const { maxQueuedMessages, maxQueuedBytes, queueOverflow } = this.limits;
    const size = storedMessageSize(message);
    if (size > maxQueuedBytes) return { accepted: false, dropped: 0 };
    const key = keyOf(clientId);
    const params = [key, ...messageParams(message), message.enqueuedAt, size];
    return batch.write(async (c) => {
      const usage = await this.queueUsageOf(c, clientId, key);
      let dropCount = 0;
      let dropBytes = 0;
      const full = (): boolean =>
        usage.count - dropCount + 1 > maxQueuedMessages || usage.bytes - dropBytes + size > maxQueuedBytes;
      if (full()) {
        if (queueOverflow === "refuse-new") return { accepted: false, dropped: 0 };
        let throughSeq = 0;
        for (let more = true; more && full(); ) {
          const { rows } = await c.query(SQL.oldestQueued, [key, throughSeq]);
          more = rows.length === 64;
          for (const row of rows) {
            throughSeq = Number(row.seq);
            dropCount++;
            dropBytes += Number(row.size);
            if (!full()) break;
          }
          if (rows.length === 0) break;
        }
        await c.query(SQL.dropQueuedThrough, [key, throughSeq]);
      }
      await c.query(SQL.enqueue, params);
      usage.count += 1 - dropCount;
      usage.bytes += size - dropBytes;
      return { accepted: true, dropped: dropCount };
    });
  }

  async peekQueue(clientId: string, max: number): Promise<Store.QueueEntry[]> {
    const batch = this.use("peekQueue");
    if (!(max > 0)) return [];
    const limit = Math.min(Math.floor(max), 2 ** 31 - 1);
    const { rows } = await batch.read((c) => c.query(SQL.peekQueue, [keyOf(clientId), limit]));
    return rows.map(queueEntryOf);
  }

  async ackQueue(clientId: string, throughSeq: number): Promise<number> {
    const key = keyOf(clientId);
    return this.use("ackQueue").write(async (c) => {
      const acked = await c.query(SQL.ackedUsage, [key, throughSeq]);
      const count = firstNumber(acked, "n");
      if (count === 0) return 0;
      await c.query(SQL.dropQueuedThrough, [key, throughSeq]);
      const usage = this.usages.peek(clientId);
      if (usage !== undefined) {
        usage.count -= count;
        usage.bytes -= firstNumber(acked, "bytes");
      }
      return count;
    });
  }

  async queueUsage(clientId: string): Promise<Store.StoreUsage> {
    const batch = this.use("queueUsage");
    return batch.read(async (c) => {
      if (!batch.uncommitted) await this.refreshIfStale(c);
      const usage = await this.queueUsageOf(c, clientId, keyOf(clientId));
      return { count: usage.count, bytes: usage.bytes };
    });
  }

  async clearQueue(clientId: string): Promise<void> {
    const key = keyOf(clientId);
    await this.use("clearQueue").write(async (c) => {
      await c.query(SQL.clearQueue, [key]);
      this.usages.forget(clientId);
    });
  }

  async dropExpiredQueued(now: number): Promise<number> {
    return this.use("dropExpiredQueued").write(async (c) => {
      const { affected } = await c.query(SQL.dropExpiredQueued, [now]);
      // A sweep is rare: reading counters again beats returning every deleted row.
      if (affected > 0) this.usages.clear();
      return affected;
    });
  }

  // --- retained messages ---

  async setRetained(message: Store.RetainedRecord): Promise<Store.RetainResult> {
    const batch = this.use("setRetained");
    const key = keyOf(message.topic);
    const clear = message.payload.byteLength === 0;
    const size = storedMessageSize(message);
    const params = [key, ...messageParams(message), message.storedAt, size];
    return batch.write(async (c) => {
      const found = (await c.query(SQL.retainedSize, [key])).rows[0];
      const previous = found === undefined ? undefined : Number(found.size);
      const retained = this.retained;
      if (clear) {
        if (previous !== undefined) {
          await c.query(SQL.clearRetained, [key]);
          retained.count--;
          retained.bytes -= previous;
        }
        return { stored: true };
      }
      const refusedBy = retainedRefusal(this.limits, retained, previous, size);
      if (refusedBy !== undefined) return { stored: false, refusedBy };
      await c.query(this.sqlDialect.setRetained, params);
      if (previous === undefined) retained.count++;
      retained.bytes += size - (previous ?? 0);
      return { stored: true };
    });
  }

  async getRetained(topic: string): Promise<Store.RetainedRecord | undefined> {
    const key = keyOf(topic);
    const { rows } = await this.use("getRetained").read((c) => c.query(SQL.getRetained, [key]));
    return rows[0] === undefined ? undefined : retainedOf(rows[0]);
  }

  async matchRetained(filter: string): Promise<Store.RetainedRecord[]> {
    const like = likePrefix(filter);
    const { rows } = await this.use("matchRetained").read((c) =>
      like === undefined ? c.query(SQL.listRetained) : c.query(SQL.likeRetained, [like]),
    );
    // [MQTT-4.7.2-1] inside topicMatches: a leading wildcard never matches a `$` topic.
    return rows.map(retainedOf).filter((record) => topicMatches(filter, record.topic));
  }

  async listRetained(): Promise<Store.RetainedRecord[]> {
    const { rows } = await this.use("listRetained").read((c) => c.query(SQL.listRetained));
    return rows.map(retainedOf);
  }

  async retainedUsage(): Promise<Store.StoreUsage> {
    const batch = this.use("retainedUsage");
    return batch.read(async (c) => {
      if (!batch.uncommitted) await this.refreshIfStale(c);
      return { count: this.retained.count, bytes: this.retained.bytes };
    });
  }

  async dropExpiredRetained(now: number): Promise<number> {
    return this.use("dropExpiredRetained").write(async (c) => {
      const expired = await c.query(SQL.expiredRetainedUsage, [now]);
      const count = firstNumber(expired, "n");
      if (count === 0) return 0;
      await c.query(SQL.dropExpiredRetained, [now]);
      this.retained.count -= count;
      this.retained.bytes -= firstNumber(expired, "bytes");
      return count;
    });
  }

  /** The open batch, or a StoreClosedError. */
  private use(operation: string): SerialBatch {
    if (this.state !== "open" || this.batch === undefined) {
      throw new StoreClosedError(operation, { cause: this.batch?.failure });
    }
    return this.batch;
  }

  /** The live counters of a client's queue, read from the database on a miss. */
  private async queueUsageOf(c: SqlConnection, clientId: string, key: Buffer): Promise<Store.StoreUsage> {
    if (this.usages.peek(clientId) !== undefined) return this.usages.get(clientId);
    const result = await c.query(SQL.queueUsage, [key]);
    const loaded = { count: firstNumber(result, "n"), bytes: firstNumber(result, "bytes") };
    return this.usages.get(clientId, () => loaded);
  }

  /** The first statement of a batch: bump the version (taking the write lock); reload counters another instance changed. */
  private async takeWriteLock(c: SqlConnection): Promise<void> {
    const version = await this.sqlDialect.bumpWriteVersion(c);
    if (version !== this.writeVersion + 1) await this.reloadCounters(c);
    this.writeVersion = version;
  }

  /** Outside a batch: reload the counters when another instance committed since they were read. */
  private async refreshIfStale(c: SqlConnection): Promise<void> {
    const version = firstNumber(await c.query(SQL.readWriteVersion), "v");
    if (version === this.writeVersion) return;
    await this.reloadCounters(c);
    this.writeVersion = version;
  }

  private async reloadCounters(c: SqlConnection): Promise<void> {
    this.usages.clear();
    const result = await c.query(SQL.retainedUsage);
    this.retained = { count: firstNumber(result, "n"), bytes: firstNumber(result, "bytes") };
  }
}
