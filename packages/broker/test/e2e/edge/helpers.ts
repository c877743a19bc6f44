// Helpers for the edge tests: MQTT.js over a socket we open ourselves (to write a
// PROXY header first, or to choose the local address), and HAProxy started by the test.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { freePort, makeTempDir, waitForPort } from "@amqtt/test-utils";
import { dialProxied } from "@amqtt/test-utils/proxy";
import { type IClientOptions, MqttClient } from "mqtt";
import { afterEach } from "vitest";

const clients: MqttClient[] = [];
const processes: ChildProcess[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  for (const p of processes.splice(0))
    if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, "SIGKILL");
  for (const c of cleanups.splice(0)) c();
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

/** Debian's HAProxy in front of a broker port: one frontend per mode (`send-proxy`, `send-proxy-v2`). */
export async function startHaproxy(brokerPort: number): Promise<{ v1: number; v2: number }> {
  const dir = makeTempDir("amqtt-haproxy-");
  cleanups.push(() => dir.remove());
  const v1 = await freePort();
  const v2 = await freePort();
  const config = join(dir.path, "haproxy.cfg");
  writeFileSync(
    config,
    [
      "global",
      "  maxconn 200",
      "defaults",
      "  mode tcp",
      "  timeout connect 5s",
      "  timeout client 30s",
      "  timeout server 30s",
      "frontend proxy_v1",
      `  bind 127.0.0.1:${v1}`,
      "  default_backend broker_v1",
      "backend broker_v1",
      `  server broker 127.0.0.1:${brokerPort} send-proxy`,
      "frontend proxy_v2",
      `  bind 127.0.0.1:${v2}`,
      "  default_backend broker_v2",
      "backend broker_v2",
      `  server broker 127.0.0.1:${brokerPort} send-proxy-v2`,
      "",
    ].join("\n"),
  );
  const child = spawn("haproxy", ["-db", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
  processes.push(child);
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  await waitForPort(v1, () => log);
  await waitForPort(v2, () => log);
  return { v1, v2 };
}
