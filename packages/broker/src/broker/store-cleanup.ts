import type { BrokerStore, RetainedRecord } from "@amqtt/store";
import type { RetainedStore } from "../core/retained.js";
import type { Clock } from "../core/timers.js";
import type { SessionRegistry } from "./session-registry.js";

/** What the cleanup needs from the broker. */
export interface StoreCleanupHost {
  readonly store: BrokerStore;
  readonly clock: Clock;
  readonly registry: SessionRegistry;
  readonly retained: RetainedStore;
  warn(message: string, error: unknown): void;
}

/**
 * The cleanup schedule: expired retained messages (index and store), expired
 * queued messages, and stored sessions past their expiry that no timer of this
 * process covers (their delayed wills go out).
 */
export async function removeExpired(host: StoreCleanupHost): Promise<void> {
  const { store, registry, retained } = host;
  const t = host.clock.now();
  const wall = Date.now();
  for (const r of [...retained.entries()]) {
    if (r.expiresAt !== undefined && r.expiresAt <= t) retained.delete(r.topic);
    else if (r.retainedUntil !== undefined && r.retainedUntil <= t) {
      // Past retained_message_expiry: the store does not know that bound, so it is told.
      retained.delete(r.topic);
      const clear: RetainedRecord = {
        topic: r.topic,
        payload: new Uint8Array(0),
        qos: r.qos,
        retain: true,
        storedAt: wall,
      };
      await store.setRetained(clear);
    }
  }
  await store.dropExpiredRetained(wall);
  if ((await store.dropExpiredQueued(wall)) > 0) {
    for (const state of registry.sessions.values())
      if (state.queued > 0 && !state.draining) {
        const usage = await store.queueUsage(state.clientId);
        state.queued = usage.count;
        state.queuedBytes = usage.bytes;
      }
  }
  for (const record of await store.deleteExpiredSessions(wall)) registry.expiredInStore(record);
}

/** aMQTT's `clear_on_shutdown`: erase every stored session (with its queue) and retained message. */
export async function clearStore(host: StoreCleanupHost): Promise<void> {
  const store = host.store;
  try {
    for (const record of await store.listSessions()) await store.deleteSession(record.clientId);
    for (const r of await store.listRetained())
      await store.setRetained({ ...r, payload: new Uint8Array(0), storedAt: Date.now() });
  } catch (error) {
    host.warn("clearing the store at shutdown failed", error);
  }
}
