// Clients and waiting for the bridge crash tests (QoS 0 and QoS 2, in and out).
import { type ClientConfigInput, type IncomingApplicationMessage, MQTTClient } from "@amqtt/client";

/** An `MQTTClient` (clean session unless `config` says otherwise) that the test's `cleanups` disconnect. */
export function bridgeTestClient(
  cleanups: { add(stop: () => unknown): void },
  clientId: string,
  config: ClientConfigInput = {},
): MQTTClient {
  const c = new MQTTClient({ clientId, config: { cleanSession: true, autoReconnect: false, ...config } });
  cleanups.add(() => c.disconnect().catch(() => {}));
  return c;
}

/**
 * Connect `subscriber` to `url`, subscribe it to `filter` at `qos`, and answer the
 * payloads it receives from then on, as text, in arrival order (the array grows).
 */
export async function receivedPayloads(
  subscriber: MQTTClient,
  url: string,
  filter: string,
  qos: 0 | 1 | 2,
): Promise<string[]> {
  const got: string[] = [];
  subscriber.on("message", (m: IncomingApplicationMessage) => got.push(new TextDecoder().decode(m.data)));
  await subscriber.connect(url);
  await subscriber.subscribe([[filter, qos]]);
  return got;
}

/** Poll `condition` every 20 ms; fails naming `what` after `ms` (a hang guard, not a timing assertion). */
export async function until(what: string, condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
