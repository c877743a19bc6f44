// Broker events a script waits on: a step that depends on the broker having
// handled something the peer cannot see (a dropped connection) awaits the event.
import type { Broker } from "../../src/index.js";
import { bounded } from "./wait.js";

/** The bound on waiting for one broker event (a guard against a hung test). */
const EVENT_WAIT_MS = 10_000;

/**
 * Resolves once the broker has handled the end of `clientId`'s connection: its
 * `clientDisconnected` event, after which the will (if any) has been published
 * and the session ended or kept. Call it before causing the disconnect.
 */
export function disconnected(broker: Broker, clientId: string, waitMs = EVENT_WAIT_MS): Promise<void> {
  let off = (): void => {};
  const seen = new Promise<void>((resolve) => {
    off = broker.on("clientDisconnected", (client) => {
      if (client.clientId !== clientId) return;
      off();
      resolve();
    });
  });
  return bounded(seen, `clientDisconnected for ${clientId}`, waitMs).finally(off);
}
