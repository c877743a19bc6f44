import type { BrokerStore, QueueEntry } from "@amqtt/store";

/** Rows kept before a ledger writes a snapshot and trims what it replaces. */
const COMPACT_AT = 128;
/** Most rows read back at `load` (the log never grows far past `COMPACT_AT`). */
const LOAD_MAX = 4096;

const encoder = new TextEncoder();

/**
 * An append-only log of text rows in one store queue, trimmed by snapshots:
 * the durable part shared by the bridge's inbound and outbound QoS ledgers.
 * A row's topic says what it is; a snapshot row (topic `=`) replaces every
 * row before it, so a ledger replays from its last snapshot on.
 */
export class StoreLog {
  private rows = 0;
  private compacting = false;

  constructor(
    private readonly store: () => BrokerStore,
    /** The queue id of the log in the store. */
    readonly queueId: string,
    /** Names the ledger in the error when the store's queue bounds refuse or trim a row. */
    private readonly what: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The rows a previous run (or another cluster node) left, oldest first. */
  async load(): Promise<QueueEntry[]> {
    const log = await this.store().peekQueue(this.queueId, LOAD_MAX);
    this.rows = log.length;
    return log;
  }

  /** Append one row (in call order with the store's other writes; a store flush covers it). */
  append(topic: string, text: string): void {
    this.rows++;
    this.store()
      .enqueue(this.queueId, {
        topic,
        payload: encoder.encode(text),
        qos: 0,
        retain: false,
        enqueuedAt: Date.now(),
      })
      .then((result) => {
        if (!result.accepted || result.dropped > 0)
          this.onError(
            new Error(`the store's queue bounds refused or trimmed the ${this.what} ${this.queueId}`),
          );
      }, this.onError);
  }

  /** Once `COMPACT_AT` rows are held: append `snapshot()` as a `=` row, then trim every row before it. */
  compactIfDue(snapshot: () => string): void {
    if (this.rows >= COMPACT_AT && !this.compacting) void this.compact(snapshot);
  }

  private async compact(snapshot: () => string): Promise<void> {
    this.compacting = true;
    try {
      this.append("=", snapshot());
      const store = this.store();
      const log = await store.peekQueue(this.queueId, LOAD_MAX);
      let last = 0;
      for (const row of log) if (row.topic === "=") last = row.seq;
      if (last > 0) {
        const removed = await store.ackQueue(this.queueId, last - 1);
        this.rows = Math.max(0, this.rows - removed);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.compacting = false;
    }
  }
}
