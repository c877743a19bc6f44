import type { BrokerStore, QueuedRecord, QueueEntry } from "@amqtt/store";
import { storedMessageSize } from "@amqtt/store";

/** What a bridge's outbound queue holds and has lost. */
export interface OutboxUsage {
  /** Messages waiting for the remote (sent and unacknowledged ones included). */
  count: number;
  bytes: number;
  /** Messages refused because a bound was reached (since start). */
  dropped: number;
}

/**
 * The outbound queue of one bridge, kept in the broker's own store under the
 * queue id `$bridge/<name>` (a persistent store makes it survive a crash).
 *
 * Design: `offer` is synchronous and called while the broker routes the
 * message, so the store write is issued before the broker's own `flush()`
 * for the publisher's PUBACK: with a persistent store a publisher that got
 * its PUBACK has its message in this queue (the store applies calls in call
 * order, and a flush covers every earlier write). Entries leave only by
 * `ack`, once the remote acknowledged them. The bounds (count and bytes) are
 * checked here against counters loaded at `open`; a message beyond them is
 * refused and counted, never an older one dropped (what is queued keeps its
 * order and is delivered).
 */
export class DurableOutbox {
  private count = 0;
  private bytes = 0;
  private droppedTotal = 0;
  /** Size of each entry by seq, for the byte counter on ack (entries peeked but not acked yet). */
  private readonly sizes = new Map<number, number>();

  constructor(
    private readonly store: () => BrokerStore,
    /** The queue id in the store. */
    readonly queueId: string,
    private readonly maxMessages: number,
    private readonly maxBytes: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * The bounds in force: ours, or the store's per-queue ones when lower (the
   * store would drop its oldest entries instead, which are in flight here).
   */
  bounds(): { messages: number; bytes: number } {
    const limits = this.store().limits;
    return {
      messages: Math.min(this.maxMessages, limits.maxQueuedMessages),
      bytes: Math.min(this.maxBytes, limits.maxQueuedBytes),
    };
  }

  /** Load the counters of what a previous run left in the queue. */
  async open(): Promise<void> {
    const usage = await this.store().queueUsage(this.queueId);
    this.count = usage.count;
    this.bytes = usage.bytes;
  }

  /** Count, bytes and drops. */
  usage(): OutboxUsage {
    return { count: this.count, bytes: this.bytes, dropped: this.droppedTotal };
  }

  /** Queue `message`; false (and counted as dropped) when a bound refuses it. */
  offer(message: QueuedRecord): boolean {
    const size = storedMessageSize(message);
    const bounds = this.bounds();
    if (this.count + 1 > bounds.messages || this.bytes + size > bounds.bytes) {
      this.droppedTotal++;
      return false;
    }
    this.count++;
    this.bytes += size;
    this.store()
      .enqueue(this.queueId, message)
      .then(
        (result) => {
          // The store's own bounds (the broker's max_queued_*) may be tighter than ours.
          if (!result.accepted) {
            this.count--;
            this.bytes -= size;
            this.droppedTotal++;
          }
          if (result.dropped > 0) {
            this.droppedTotal += result.dropped;
            this.resync();
          }
        },
        (error: unknown) => {
          this.count--;
          this.bytes -= size;
          this.droppedTotal++;
          this.onError(error);
        },
      );
    return true;
  }

  /** Up to `max` entries from the front, oldest first (still queued until `ack`). */
  async peek(max: number): Promise<QueueEntry[]> {
    const entries = await this.store().peekQueue(this.queueId, max);
    for (const e of entries) if (!this.sizes.has(e.seq)) this.sizes.set(e.seq, storedMessageSize(e));
    return entries;
  }

  /** The remote acknowledged every entry up to `throughSeq`: remove them. */
  async ack(throughSeq: number): Promise<void> {
    const removed = await this.store().ackQueue(this.queueId, throughSeq);
    let freed = 0;
    for (const [seq, size] of this.sizes) {
      if (seq > throughSeq) break;
      freed += size;
      this.sizes.delete(seq);
    }
    this.count = Math.max(0, this.count - removed);
    this.bytes = Math.max(0, this.bytes - freed);
  }

  /** Forget which entries were read (after a reconnect everything unacknowledged is read again). */
  rewind(): void {
    this.sizes.clear();
  }

  /** Read the counters again from the store (in a cluster other nodes append to the same queue). */
  refresh(): void {
    this.resync();
  }

  private resync(): void {
    this.store()
      .queueUsage(this.queueId)
      .then((u) => {
        this.count = u.count;
        this.bytes = u.bytes;
      }, this.onError);
  }
}
