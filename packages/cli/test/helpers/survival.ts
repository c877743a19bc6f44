import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { amqttConfigWithPlugins, leaveQueuedAndRetained } from "@amqtt/test-utils";
import { connect, connectAsync, type MqttClient } from "mqtt";
import { afterEach } from "vitest";
import { killAmqtt, type RunningAmqtt, runAmqtt, startAmqtt } from "./amqtt-process.js";

// Does the broker's state survive a restart? The session `keeper` subscribed to
// `t/#`, a queued message `t/queued` and a retained `r/kept`; the tests of every
// store (SQLite, PostgreSQL, MariaDB, memory) ask the same questions.

const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
});

/** The binary on TCP only, on a free port, in `cwd`. */
const TCP_ONLY = ["--port", "0", "--no-ws"];
export const start = (args: string[], cwd: string) => startAmqtt([...TCP_ONLY, ...args], cwd);
export const runToExit = (args: string[], cwd: string) => runAmqtt([...TCP_ONLY, ...args], cwd);

/** An MQTT.js client of the broker on `port`, ended after the test. */
export async function client(
  port: number,
  options: Parameters<typeof connectAsync>[1] = {},
): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

/** Leave a persistent session subscribed to `t/#`, publish a retained and a queued message, then SIGKILL the broker. */
export async function fillThenKill(args: string[], cwd: string): Promise<void> {
  await killAmqtt(await fill(args, cwd));
}

/** Start the broker, leave the session, publish both messages (acknowledged); the broker keeps running. */
export async function fill(args: string[], cwd: string): Promise<RunningAmqtt> {
  const first = await start(args, cwd);
  await leaveQueuedAndRetained(first.port, {
    clientId: "keeper",
    filter: "t/#",
    queued: { topic: "t/queued", payload: "waiting" },
    retained: { topic: "r/kept", payload: "retained" },
  });
  // Both PUBACKs arrived: the broker promises both are stored.
  return first;
}

/** Stop a broker gracefully (SIGTERM) and wait for its exit code. */
export async function stopAmqtt(running: RunningAmqtt): Promise<number | null> {
  running.child.kill("SIGTERM");
  return running.exit;
}

/** What a restarted broker gives back: the queued message to the session, the retained one to a new subscriber. */
export async function whatSurvived(port: number): Promise<string[]> {
  const got: string[] = [];
  const sub = connect(`mqtt://127.0.0.1:${port}`, {
    reconnectPeriod: 0,
    clientId: "keeper",
    clean: false,
    manualConnect: true,
  });
  clients.push(sub);
  sub.on("message", (t, p) => got.push(`${t}=${p}`));
  sub.connect();
  await new Promise((r) => sub.once("connect", r));
  const fresh = await client(port);
  fresh.on("message", (t, p, packet) => got.push(`${t}=${p}${packet.retain ? " (retained)" : ""}`));
  await fresh.subscribeAsync("r/#", { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  return got.sort();
}

/**
 * Write `folder/broker.yaml`: an aMQTT configuration with a TCP listener on a free
 * port, anonymous clients, and SessionDBPlugin on `connection` (with
 * `pluginLines` as its further options and `extra` top-level lines). Returns its path.
 */
export function writeSessionDbConfig(
  folder: string,
  connection: string,
  pluginLines: string[] = [],
  extra: string[] = [],
): string {
  const plugins = [
    "  amqtt.plugins.authentication.AnonymousAuthPlugin:",
    "    allow_anonymous: true",
    "  amqtt.contrib.persistence.SessionDBPlugin:",
    `    connection: ${connection}`,
    ...pluginLines.map((line) => `    ${line}`),
  ];
  const file = join(folder, "broker.yaml");
  writeFileSync(file, `${amqttConfigWithPlugins(plugins.join("\n"))}\n${[...extra, ""].join("\n")}`);
  return file;
}
