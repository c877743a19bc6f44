import type { BrokerStore } from "@amqtt/store";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Acknowledged records removed from the store's queue in one call, at least. */
const PRUNE_EVERY = 64;

/** The store queue of a node's applied envelope ids. */
export function appliedQueueId(nodeId: string): string {
  return `$cluster/applied/${nodeId}`;
}

/**
 * The ids of the envelopes this node made durable in a store the nodes share
 * (offline queues, saved sessions) and has not yet acknowledged to the engine.
 *
 * Why: a node that dies between its store flush and the envelope's
 * acknowledgement leaves the envelope in its inbox; the node adopting that
 * inbox would deliver it a second time to sessions that already hold it from
 * the store (a QoS 2 message twice). The id is written in the same store batch
 * as the message's writes (after them, so its flush covers both), and the
 * adopter skips the envelopes it finds here ({@link readApplied}).
 *
 * Design: one row per envelope in the store queue `$cluster/applied/<node>`;
 * acknowledged rows leave as a prefix, every {@link PRUNE_EVERY} acknowledgements,
 * so the queue holds about the unacknowledged envelopes (bounded by the bus's
 * `maxUnackedEnvelopes`) and at most the store's own queue bound.
 */
export class AppliedEnvelopes {
  /** Recorded ids not acknowledged yet, `from\0id`. */
  private readonly pending = new Set<string>();
  private ackedSincePrune = 0;
  private pruning = false;

  constructor(
    private readonly store: () => BrokerStore,
    private readonly nodeId: string,
    private readonly warn: (message: string, error: unknown) => void,
  ) {}

  /** Rows not yet acknowledged (for tests and stats). */
  get size(): number {
    return this.pending.size;
  }

  /** Record that envelope `id` of `from` is being made durable here; call after its writes, before the flush. */
  record(from: string, id: string): void {
    this.pending.add(`${from}\u0000${id}`);
    this.store()
      .enqueue(appliedQueueId(this.nodeId), {
        topic: from,
        payload: encoder.encode(id),
        qos: 0,
        retain: false,
        enqueuedAt: Date.now(),
      })
      .catch((error: unknown) => this.warn("recording an applied envelope failed", error));
  }

  /** The engine forgot envelope `id` of `from`: its row may go. */
  acknowledged(from: string, id: string): void {
    if (!this.pending.delete(`${from}\u0000${id}`)) return;
    if (++this.ackedSincePrune >= PRUNE_EVERY) void this.prune();
  }

  /** Remove the prefix of rows whose envelopes are acknowledged (or left by an earlier run). */
  private async prune(): Promise<void> {
    if (this.pruning) return;
    this.pruning = true;
    this.ackedSincePrune = 0;
    const store = this.store();
    const queue = appliedQueueId(this.nodeId);
    try {
      const rows = await store.peekQueue(queue, this.pending.size + PRUNE_EVERY * 2);
      let through = 0;
      for (const row of rows) {
        if (this.pending.has(`${row.topic}\u0000${decoder.decode(row.payload)}`)) break;
        through = row.seq;
      }
      if (through > 0) await store.ackQueue(queue, through);
    } catch (error) {
      this.warn("pruning the applied envelopes failed", error);
    } finally {
      this.pruning = false;
    }
  }
}

/** What a dead node recorded as applied (sender and id of each envelope). */
export async function readApplied(
  store: BrokerStore,
  nodeId: string,
  max: number,
): Promise<{ from: string; id: string }[]> {
  const rows = await store.peekQueue(appliedQueueId(nodeId), max);
  return rows.map((row) => ({ from: row.topic, id: decoder.decode(row.payload) }));
}
