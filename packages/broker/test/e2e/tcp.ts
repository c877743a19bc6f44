// TCP helpers for e2e/: a broker on a loopback port and MQTT.js clients (the third-party peer).

import { serverTlsFiles } from "@amqtt/test-utils";
import { connect, connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import { afterEach } from "vitest";
import type { BrokerConfigInput, ListenerConfigInput } from "../../src/config/schema.js";
import { Broker, type BrokerOptions, silentLogger } from "../../src/index.js";

export { until } from "../harness/wait.js";

const brokers: Broker[] = [];
const clients: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

/** A broker on 127.0.0.1 with a free TCP port (and a WebSocket one when asked), stopped after the test. */
export async function startBroker(
  config: BrokerConfigInput = {},
  options: BrokerOptions = {},
): Promise<{ broker: Broker; port: number; url: string }> {
  const broker = new Broker(
    {
      listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } },
      plugins: { "anonymous-auth": {} },
      ...config,
    },
    { logger: silentLogger, ...options },
  );
  await broker.start();
  brokers.push(broker);
  const port = broker.addresses()[0]!.port;
  return { broker, port, url: `mqtt://127.0.0.1:${port}` };
}

/** A TLS listener on a free loopback port with the test server certificate; `extra` adds keys (CAs, PROXY). */
export function tlsListener(extra: ListenerConfigInput = {}): ListenerConfigInput {
  return {
    type: "tcp",
    bind: "127.0.0.1:0",
    ...serverTlsFiles,
    ...extra,
  };
}

/** An MQTT.js client (the third-party client everyone uses), ended after the test. */
export async function mqttClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  clients.push(client);
  return client;
}

/**
 * An MQTT.js client that connects when told, to watch its CONNACK: resolves
 * with the client and a promise of its CONNACK's session present flag.
 */
export async function connectWatching(
  url: string,
  options: IClientOptions = {},
): Promise<{ client: MqttClient; sessionPresent: Promise<boolean> }> {
  const client = connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options, manualConnect: true });
  clients.push(client);
  const sessionPresent = new Promise<boolean>((resolve, reject) => {
    client.once("connect", (packet) =>
      resolve(Boolean((packet as { sessionPresent?: boolean }).sessionPresent)),
    );
    client.once("error", reject);
  });
  return { client, sessionPresent };
}

/** A received message: topic, payload as text, and the PUBLISH fields tests look at. */
export type Received = [
  topic: string,
  payload: string,
  packet: { qos: number; retain: boolean; properties?: { subscriptionIdentifier?: number | number[] } },
];

/** Resolve with the next `count` messages a client receives, as [topic, payload text, packet]. */
export function nextMessages(client: MqttClient, count: number, timeoutMs = 5000): Promise<Received[]> {
  return new Promise((resolve, reject) => {
    const got: Received[] = [];
    const timer = setTimeout(() => {
      client.off("message", onMessage);
      reject(new Error(`got ${got.length} of ${count} messages: ${JSON.stringify(got.map((g) => g[0]))}`));
    }, timeoutMs);
    const onMessage = (topic: string, payload: Buffer, packet: Received[2]) => {
      got.push([topic, payload.toString(), packet]);
      if (got.length === count) {
        clearTimeout(timer);
        client.off("message", onMessage);
        resolve(got);
      }
    };
    client.on("message", onMessage);
  });
}

/** Collect messages for a while and return them (to prove that nothing more arrives). */
export function collectFor(client: MqttClient, ms: number): Promise<string[]> {
  return new Promise((resolve) => {
    const got: string[] = [];
    const onMessage = (topic: string, payload: Buffer) => got.push(`${topic}:${payload.toString()}`);
    client.on("message", onMessage);
    setTimeout(() => {
      client.off("message", onMessage);
      resolve(got);
    }, ms);
  });
}
