import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";

/**
 * Connect an MQTT.js client to the broker on loopback `port` (no reconnects),
 * run `use` with it and end the client, whether `use` resolved or threw.
 * A refused CONNECT rejects before `use` runs.
 */
export async function withMqttClient<T>(
  port: number,
  options: Pick<IClientOptions, "username" | "password" | "clientId" | "clean" | "protocolVersion">,
  use: (client: MqttClient) => Promise<T>,
): Promise<T> {
  const client = await connectAsync({ host: "127.0.0.1", port, reconnectPeriod: 0, ...options });
  try {
    return await use(client);
  } finally {
    await client.endAsync(true);
  }
}

/** A topic and its payload. */
export interface TopicMessage {
  topic: string;
  payload: string;
}

/**
 * Leave the persistent session `clientId` subscribed to `filter` (QoS 1), then
 * from another client publish, at QoS 1 with the PUBACK awaited, `queued` (a
 * message for that session while it is away) and `retained` (a retained
 * message). Both clients end gracefully. A restart test then checks that the
 * queued message reaches the session and the retained one a new subscriber.
 */
export async function leaveQueuedAndRetained(
  port: number,
  what: { clientId: string; filter: string; queued: TopicMessage; retained: TopicMessage },
): Promise<void> {
  await withMqttClient(port, { clientId: what.clientId, clean: false }, async (session) => {
    await session.subscribeAsync(what.filter, { qos: 1 });
  });
  await withMqttClient(port, {}, async (publisher) => {
    await publisher.publishAsync(what.queued.topic, what.queued.payload, { qos: 1 });
    await publisher.publishAsync(what.retained.topic, what.retained.payload, { qos: 1, retain: true });
  });
}
