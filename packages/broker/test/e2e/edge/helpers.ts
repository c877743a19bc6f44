// Helpers for the edge tests: MQTT.js over a socket we open ourselves (to write a
// PROXY header first, or to choose the local address), and HAProxy started by the test.
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { freePort } from "@amqtt/test-utils";
import { startHaproxy as startHaproxyProcess } from "@amqtt/test-utils/haproxy";
import { dialProxied } from "@amqtt/test-utils/proxy";
import { type IClientOptions, MqttClient } from "mqtt";
import { afterEach } from "vitest";

const clients: MqttClient[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A TCP socket to loopback `port`, from `localAddress` (any 127/8 address works on Linux), `header` written first. */
export function openSocket(
  port: number,
  options: { header?: Uint8Array; localAddress?: string } = {},
): Promise<Socket> {
  return dialProxied(port, options);
}

/** An MQTT.js client over `socket`; resolves once its CONNACK came, rejects on a refusal or close. */
export function mqttOver(socket: Socket | Duplex, options: IClientOptions = {}): Promise<MqttClient> {
  const client = new MqttClient(() => socket, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: 4,
    ...options,
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", reject);
    client.once("close", () => reject(new Error("closed before CONNACK")));
  });
}

/** An MQTT.js client from `localAddress` straight to `port` (through a proxy listening there). */
export async function mqttFrom(port: number, localAddress: string, options: IClientOptions = {}) {
  const socket = await openSocket(port, { localAddress });
  return { client: await mqttOver(socket, options), localPort: socket.localPort! };
}

/**
 * Debian's HAProxy in front of a broker port: one frontend per mode (`send-proxy`,
 * `send-proxy-v2`, and `send-proxy-v2` with `proxy-v2-options crc32c`).
 */
export async function startHaproxy(brokerPort: number): Promise<{ v1: number; v2: number; v2crc: number }> {
  const v1 = await freePort();
  const v2 = await freePort();
  const v2crc = await freePort();
  const frontend = (name: string, port: number, server: string) => [
    `frontend ${name}`,
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${name}_broker`,
    `backend ${name}_broker`,
    `  server broker 127.0.0.1:${brokerPort} ${server}`,
  ];
  const config = [
    "global",
    "  maxconn 200",
    "defaults",
    "  mode tcp",
    "  timeout connect 5s",
    "  timeout client 30s",
    "  timeout server 30s",
    ...frontend("proxy_v1", v1, "send-proxy"),
    ...frontend("proxy_v2", v2, "send-proxy-v2"),
    ...frontend("proxy_v2_crc", v2crc, "send-proxy-v2 proxy-v2-options crc32c"),
    "",
  ].join("\n");
  const haproxy = await startHaproxyProcess({ config, ports: [v1, v2, v2crc] });
  cleanups.push(haproxy.stop);
  return { v1, v2, v2crc };
}
