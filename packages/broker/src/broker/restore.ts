import type { BrokerStore } from "@amqtt/store";
import { toMonotonic } from "../core/persistence.js";
import { isSysTopic, type RetainedStore } from "../core/retained.js";
import type { Clock } from "../core/timers.js";
import type { SessionRegistry } from "./session-registry.js";

/** What a restore needs from the broker. */
export interface RestoreHost {
  readonly store: BrokerStore;
  readonly clock: Clock;
  readonly registry: SessionRegistry;
  readonly retained: RetainedStore;
}

/**
 * Restore at start: persistent sessions (with their subscriptions, expiry and
 * delayed wills) into the registry, and retained messages into the index.
 * Sessions that expired meanwhile go, their wills published.
 */
export async function restoreFromStore(host: RestoreHost): Promise<void> {
  const { store, registry } = host;
  const wall = Date.now();
  for (const record of await store.listSessions()) {
    if (record.expiresAt !== undefined && record.expiresAt <= wall) {
      registry.expiredInStore(record);
      await store.deleteSession(record.clientId);
      continue;
    }
    registry.restore(record, await store.queueUsage(record.clientId));
  }
  const t = host.clock.now();
  for (const r of await store.listRetained()) {
    // `$SYS/` is the broker's live state, published again at start (older versions stored it).
    if (isSysTopic(r.topic)) {
      await store.setRetained({ ...r, payload: new Uint8Array(0) });
      continue;
    }
    const expiresAt = toMonotonic(host.clock, r.expiresAt);
    if (expiresAt !== undefined && expiresAt <= t) continue;
    // retained_message_expiry counts from when the message was stored, across restarts.
    const retainedUntil = host.retained.untilFor(r.topic, toMonotonic(host.clock, r.storedAt) ?? t);
    if (retainedUntil !== undefined && retainedUntil <= t) {
      await store.setRetained({ ...r, payload: new Uint8Array(0), storedAt: Date.now() });
      continue;
    }
    host.retained.set({
      topic: r.topic,
      payload: r.payload,
      qos: r.qos,
      properties: r.properties,
      expiresAt,
      retainedUntil,
    });
  }
}
