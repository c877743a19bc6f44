import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Broker, type BrokerPlugin, silentLogger } from "@amqtt/broker";
import { mosquittoPub as publishWithMosquitto } from "@amqtt/test-utils";
import { afterEach } from "vitest";
import type { CommandIo } from "../src/index.js";

const brokers: Broker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

/** A temp folder for a test's SQLite file. */
export const tempDir = (): string => mkdtempSync(join(tmpdir(), "amqtt-auth-db-"));

/** A broker on a free loopback port with only the given plugins (no anonymous access). */
export async function startBroker(plugins: BrokerPlugin[]): Promise<{ broker: Broker; port: number }> {
  const broker = new Broker(
    { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } }, plugins: {} },
    { logger: silentLogger, plugins },
  );
  await broker.start();
  brokers.push(broker);
  return { broker, port: broker.addresses()[0]?.port ?? 0 };
}

/** Run mosquitto_pub (MQTT 3.1.1, QoS 1) as `user`; resolves with its exit code and stderr. */
export function mosquittoPub(
  port: number,
  user: string,
  password: string,
  topic = "t/1",
): Promise<{ code: number | null; stderr: string }> {
  return publishWithMosquitto(port, { user, password, topic, qos: 1, protocol: "mqttv311" });
}

/** Run a user_mgr / topic_mgr function with `answers` as its stdin lines; collects stdout and stderr. */
export async function runCommand(
  main: (argv: readonly string[], io: CommandIo) => Promise<number>,
  argv: string[],
  answers: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  stdin.end(answers.map((a) => `${a}\n`).join(""));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = await main(argv, { stdin, stdout, stderr });
  return { code, stdout: out, stderr: err };
}
