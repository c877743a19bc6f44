import { Broker, type BrokerPlugin, type BrokerStore, silentLogger } from "@amqtt/broker";
import { type ClientConfigInput, type IncomingApplicationMessage, MQTTClient } from "@amqtt/client";
import { cleanupStack, freePort, type Mosquitto, startMosquitto, stopOnce } from "@amqtt/test-utils";
import { afterEach } from "vitest";
import { type BridgeStatus, Bridges } from "../../src/index.js";

const cleanups = cleanupStack();
afterEach(cleanups.run);

/** Run `fn` after the current test (in reverse order of registration). */
export const onCleanup = cleanups.add;

/** One of our brokers on loopback, stopped after the test. */
export interface OurBroker {
  broker: Broker;
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Our broker on `port` (default a free one), with `store` and `plugins` when given, anonymous clients allowed. */
export async function startOurs(
  options: {
    port?: number;
    store?: BrokerStore;
    config?: Record<string, unknown>;
    plugins?: BrokerPlugin[];
  } = {},
): Promise<OurBroker> {
  const port = options.port ?? (await freePort());
  const broker = new Broker(
    {
      ...options.config,
      listeners: { default: { type: "tcp", bind: `127.0.0.1:${port}` } },
      plugins: { "anonymous-auth": {} },
    },
    {
      logger: silentLogger,
      ...(options.store === undefined ? {} : { store: options.store }),
      ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
    },
  );
  await broker.start();
  const stop = stopOnce(() => broker.stop());
  onCleanup(stop);
  return { broker, url: `mqtt://127.0.0.1:${port}`, port, stop };
}

/** Debian's mosquitto (anonymous), killed after the test. `config` adds lines. */
export async function startMosq(options: { port?: number; config?: string[] } = {}): Promise<Mosquitto> {
  const m = await startMosquitto({
    ...(options.port === undefined ? {} : { port: options.port }),
    config: ["allow_anonymous true", "persistence false", ...(options.config ?? [])],
  });
  onCleanup(() => m.stop());
  return m;
}

/** Bridges of `broker` from a `bridges:` list, started, stopped after the test. */
export async function bridge(broker: Broker, config: unknown[]): Promise<Bridges> {
  const bridges = Bridges.fromConfig(config, broker, { logger: silentLogger, sysIntervalMs: 0 });
  await bridges.start();
  onCleanup(() => bridges.stop());
  return bridges;
}

let counter = 0;

/** A connected client, disconnected after the test. */
export async function connect(
  url: string,
  config: ClientConfigInput = {},
  clientId?: string,
): Promise<MQTTClient> {
  const client = new MQTTClient({
    clientId: clientId ?? `t-${process.pid}-${++counter}`,
    config: { reconnectInitialDelayMs: 20, reconnect_max_interval: 1, ...config },
  });
  await client.connect(url);
  onCleanup(() => client.disconnect().catch(() => {}));
  return client;
}

/** Text of a payload. */
export const text = (m: IncomingApplicationMessage): string => new TextDecoder().decode(m.data);

/** The next `n` messages of `client`, failing after `timeoutS` seconds for each. */
export async function take(
  client: MQTTClient,
  n: number,
  timeoutS = 10,
): Promise<IncomingApplicationMessage[]> {
  const out: IncomingApplicationMessage[] = [];
  while (out.length < n) out.push(await client.deliverMessage({ timeout: timeoutS }));
  return out;
}

/** True when nothing more arrives within `ms` (used after the expected messages were taken). */
export async function nothingMore(client: MQTTClient, ms = 300): Promise<boolean> {
  try {
    await client.deliverMessage({ timeout: ms / 1000 });
    return false;
  } catch {
    return true;
  }
}

/** Wait until `check(status)` holds for bridge `name` (polls, fails after `timeoutMs`). */
export async function until(
  bridges: Bridges,
  check: (s: BridgeStatus) => boolean,
  timeoutMs = 10_000,
  name?: string,
): Promise<BridgeStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = bridges.status().find((b) => name === undefined || b.name === name);
    if (s !== undefined && check(s)) return s;
    if (Date.now() > deadline) throw new Error(`bridge status never matched: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
