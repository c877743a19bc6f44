import type { BrokerStore } from "@amqtt/store";
import { storedMessageSize } from "@amqtt/store";
import { withRemainingExpiry } from "../core/messages.js";
import { toMonotonic } from "../core/persistence.js";
import type { BrokerConnection, SessionState } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import type { SessionSaver } from "./session-saver.js";

/**
 * Offline-queue messages handed to a reconnected session at a time, and the
 * unacknowledged ones it may hold before the next batch: large enough that a
 * client delaying its acknowledgements (Nagle's algorithm) does not set the
 * pace, small enough that the stored session snapshot stays small.
 */
export const DRAIN_BATCH = 1000;
/** ... and the payload bytes of one batch. */
export const DRAIN_BATCH_BYTES = 1024 * 1024;

/** What the drain needs from the broker. */
export interface OfflineDrainHost {
  readonly store: BrokerStore;
  readonly clock: Clock;
  readonly saver: SessionSaver;
  warn(message: string, error: unknown): void;
}

/**
 * Send a reconnected session's offline queue, oldest first, a batch at a time
 * (removed from the store once handed to the session, whose own in-flight state
 * then keeps QoS 1/2). Messages routed meanwhile queue behind, keeping order.
 */
export async function drainOfflineQueue(
  host: OfflineDrainHost,
  state: SessionState,
  conn: BrokerConnection,
): Promise<void> {
  state.draining = true;
  try {
    for (;;) {
      // Flow control: the next batch waits until the client acknowledged most of the last
      // one. Keeps the session's in-flight state (and its stored snapshot) small, and a
      // long queue in the store instead of in memory.
      await conn.unacknowledgedAtMost(DRAIN_BATCH);
      const issued = state.enqueues;
      const peeked = await host.store.peekQueue(state.clientId, DRAIN_BATCH);
      if (conn.closed || state.connection !== conn) return;
      if (peeked.length === 0) {
        if (state.enqueues === issued) return;
        continue;
      }
      // A batch is also bounded by bytes (at least one message), so large payloads stay few.
      let bytes = 0;
      let end = 0;
      while (end < peeked.length && (end === 0 || bytes + peeked[end]!.payload.length <= DRAIN_BATCH_BYTES))
        bytes += peeked[end++]!.payload.length;
      const batch = peeked.slice(0, end);
      const t = host.clock.now();
      for (const m of batch) {
        const properties = withRemainingExpiry(m.properties, toMonotonic(host.clock, m.expiresAt), t);
        if (properties !== null) conn.deliver(m.topic, m.payload, m.qos, m.retain, properties);
      }
      // The messages now live in the session's in-flight state: saved, then taken from the
      // queue, both in this turn (one store batch: one transaction for SQL stores, one
      // pipeline for Redis), so a crash keeps them either in the queue or in flight, not in
      // both: a QoS 2 message is never sent again under a new packet id. The store applies
      // them in call order: the save lands first, so nothing is lost in between.
      const saved = host.saver.saveLive(state, conn);
      const taken = host.store.ackQueue(state.clientId, batch.at(-1)!.seq);
      await saved;
      state.queued = Math.max(0, state.queued - (await taken));
      let sent = 0;
      for (const m of batch) sent += storedMessageSize(m);
      state.queuedBytes = state.queued === 0 ? 0 : Math.max(0, state.queuedBytes - sent);
    }
  } catch (error) {
    host.warn("sending the offline queue failed", error);
  } finally {
    state.draining = false;
  }
}
