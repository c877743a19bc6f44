import { type BrokerStore, type QueuedRecord, storedMessageSize } from "@amqtt/store";
import type { OfflineMessage } from "../core/messages.js";
import { storedMessage } from "../core/persistence.js";
import type { SessionState } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";

/** What the offline queues need from the broker. */
export interface OfflineQueueHost {
  readonly store: BrokerStore;
  readonly clock: Clock;
  /** Report a message dropped by a bound. */
  dropped(clientId: string, topic: string, reason: string): void;
  warn(message: string, error: unknown): void;
}

/**
 * The offline queues of the local sessions: kept only in the store, bounded
 * there (the oldest dropped first, or the new one refused); every drop is reported.
 */
export class OfflineQueues {
  constructor(private readonly host: OfflineQueueHost) {}

  /** Append to `state`'s offline queue; its counters follow what the store kept. */
  enqueue(state: SessionState, m: OfflineMessage): void {
    const record: QueuedRecord = { ...storedMessage(m, this.host.clock), enqueuedAt: Date.now() };
    state.enqueues++;
    state.stored = true;
    state.queued++;
    state.queuedBytes += storedMessageSize(record);
    this.host.store.enqueue(state.clientId, record).then(
      (result) => {
        state.queued -= result.dropped + (result.accepted ? 0 : 1);
        // The bytes of what a bound dropped are known to the store only.
        if (result.dropped > 0 || !result.accepted)
          this.host.store.queueUsage(state.clientId).then(
            (usage) => {
              state.queuedBytes = usage.bytes;
            },
            (error) => this.host.warn("reading the size of an offline queue failed", error),
          );
        if (result.dropped > 0)
          for (let i = 0; i < result.dropped; i++)
            this.host.dropped(state.clientId, m.topic, "offline queue full (oldest dropped)");
        if (!result.accepted) this.host.dropped(state.clientId, m.topic, "offline queue full (refused)");
      },
      (error) => this.host.warn("queueing a message failed", error),
    );
  }
}
