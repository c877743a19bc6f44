import type { MqttClient } from "mqtt";
import { client } from "./survival.js";

// A store that stops answering (Redis under SIGSTOP, a database server killed): the broker
// must not acknowledge a QoS 1 message it cannot store, and must keep QoS 0 flowing.
// The tests of each store set up and check the same three clients.

/** The clients of an outage test, connected before the store goes away. */
export interface OutageClients {
  /** Subscribed to `live/#` at QoS 0. */
  listener: MqttClient;
  /** Publishes the QoS 1 message the offline session `keeper` (subscribed to `t/#`) must store. */
  publisher: MqttClient;
}

/** Leave the persistent session `keeper` on `t/#` (QoS 1) offline, and connect a listener and a publisher. */
export async function outageClients(port: number): Promise<OutageClients> {
  const keeper = await client(port, { clientId: "keeper", clean: false });
  await keeper.subscribeAsync("t/#", { qos: 1 });
  await keeper.endAsync();
  const listener = await client(port);
  await listener.subscribeAsync("live/#", { qos: 0 });
  return { listener, publisher: await client(port) };
}

/**
 * Publish `payload` to `t/queued` at QoS 1 (a message for the offline session); resolves once
 * the broker closed the publisher, with whether a PUBACK came first.
 */
export function publishUntilClosed(publisher: MqttClient, payload: string): Promise<boolean> {
  let acked = false;
  const closed = new Promise<boolean>((resolve) => publisher.once("close", () => resolve(acked)));
  publisher.publish("t/queued", payload, { qos: 1 }, (error) => {
    if (error === undefined) acked = true;
  });
  return closed;
}

/** What `listener` receives of a QoS 0 message a new client publishes to `live/x`. */
export async function qos0Through(port: number, listener: MqttClient): Promise<string> {
  const got = new Promise<string>((resolve) => listener.once("message", (_t, p) => resolve(String(p))));
  const other = await client(port);
  await other.publishAsync("live/x", "still here", { qos: 0 });
  return got;
}
