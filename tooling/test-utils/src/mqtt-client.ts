import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";

/**
 * Connect an MQTT.js client to the broker on loopback `port` (no reconnects),
 * run `use` with it and end the client, whether `use` resolved or threw.
 * A refused CONNECT rejects before `use` runs.
 */
export async function withMqttClient<T>(
  port: number,
  options: Pick<IClientOptions, "username" | "password" | "clientId" | "protocolVersion">,
  use: (client: MqttClient) => Promise<T>,
): Promise<T> {
  const client = await connectAsync({ host: "127.0.0.1", port, reconnectPeriod: 0, ...options });
  try {
    return await use(client);
  } finally {
    await client.endAsync(true);
  }
}
