import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker, type BrokerPlugin, silentLogger } from "@amqtt/broker";
import { connectAsync, type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { createShadowPlugin, createShadowTopicAuthPlugin, type ShadowPlugin } from "../src/index.js";

// The whole get / update / delta flow over TCP, with MQTT.js and mosquitto_sub as the devices.

const brokers: Broker[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

let current: Broker | undefined;

async function startBroker(plugins: BrokerPlugin[]): Promise<number> {
  const broker = new Broker(
    { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } }, plugins: { "anonymous-auth": {} } },
    { logger: silentLogger, plugins },
  );
  await broker.start();
  brokers.push(broker);
  current = broker;
  return broker.addresses()[0]?.port ?? 0;
}

/** An MQTT.js 5.0 client subscribed to every answer of one shadow, collecting them by answer topic. */
async function device(port: number, shadow: string) {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 });
  clients.push(client);
  const answers: { topic: string; body: Record<string, unknown> }[] = [];
  const waiters: (() => void)[] = [];
  client.on("message", (topic, payload) => {
    answers.push({ topic: topic.slice(shadow.length + 1), body: JSON.parse(payload.toString()) });
    for (const w of waiters.splice(0)) w();
  });
  // The answer topics only (get/accepted, update/delta, ...): with `$` topics other than
  // $SYS/ routed as Mosquitto routes them, `${shadow}/#` would also echo the requests.
  await client.subscribeAsync([`${shadow}/get/+`, `${shadow}/update/+`], { qos: 1 });
  /** Publish a request and wait for `count` answers. */
  const request = async (op: "get" | "update", body: unknown, count: number) => {
    answers.length = 0;
    const enough = new Promise<void>((resolve) => {
      const check = () => (answers.length >= count ? resolve() : waiters.push(check));
      check();
    });
    await client.publishAsync(`${shadow}/${op}`, typeof body === "string" ? body : JSON.stringify(body), {
      qos: 0,
    });
    await enough;
    return Object.fromEntries(answers.map((a) => [a.topic, a.body]));
  };
  return { client, request };
}

/** mosquitto_sub for one message; `ready` once the broker has its subscription (not only the SUBACK). */
function mosquittoSub(port: number, topic: string): { ready: Promise<void>; line: Promise<string> } {
  const broker = current as Broker;
  const ready = new Promise<void>((resolve) => {
    const on = (_client: unknown, filter: string) => {
      if (filter !== topic) return;
      broker.off("clientSubscribed", on);
      resolve();
    };
    broker.on("clientSubscribed", on);
  });
  const child = spawn(
    "mosquitto_sub",
    ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-C", "1", "-W", "10"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const line = new Promise<string>((resolve) => child.once("exit", () => resolve(out.trim())));
  return { ready, line };
}

describe("device shadows", () => {
  it("get before any update is rejected 404, then updates version the shadow and answer accepted, delta, iota and documents", async () => {
    let clock = 1_700_000_000;
    const plugin = createShadowPlugin({}, { now: () => clock });
    const port = await startBroker([plugin]);
    const { request } = await device(port, "$shadow/dev1/main");

    expect(await request("get", {}, 1)).toEqual({
      "get/rejected": { code: 404, message: "shadow not found" },
    });

    const first = await request("update", { state: { desired: { temp: 20, mode: "eco" } } }, 4);
    const t1 = { timestamp: clock };
    expect(first["update/accepted"]).toEqual({
      state: { desired: { temp: 20, mode: "eco" }, reported: {} },
      metadata: { desired: { temp: t1, mode: t1 }, reported: {} },
      timestamp: clock,
      version: 1,
    });
    expect(first["update/delta"]).toEqual({
      state: { temp: 20, mode: "eco" },
      metadata: { temp: t1, mode: t1 },
      timestamp: clock,
      version: 1,
    });
    expect(first["update/iota"]?.state).toEqual({ temp: 20, mode: "eco" });
    expect(first["update/documents"]).toEqual({
      previous: {
        state: { desired: {}, reported: {} },
        metadata: { desired: {}, reported: {} },
        version: 0,
        timestamp: 0,
      },
      current: {
        state: { desired: { temp: 20, mode: "eco" }, reported: {} },
        metadata: { desired: { temp: t1, mode: t1 }, reported: {} },
        version: 1,
        timestamp: clock,
      },
      timestamp: clock,
    });

    clock += 60;
    const second = await request("update", { state: { reported: { temp: 20, fan: { speed: 2 } } } }, 4);
    const t2 = { timestamp: clock };
    expect(second["update/accepted"]).toMatchObject({ version: 2, timestamp: clock });
    expect(second["update/delta"]).toEqual({
      state: { mode: "eco" },
      metadata: { temp: t1, mode: t1 },
      timestamp: clock,
      version: 2,
    });
    expect(second["update/iota"]?.state).toEqual({ mode: "eco", fan: null });
    expect(second["update/documents"]).toMatchObject({ previous: { version: 1 }, current: { version: 2 } });

    const got = await request("get", {}, 1);
    expect(got["get/accepted"]).toEqual({
      state: { desired: { temp: 20, mode: "eco" }, reported: { temp: 20, fan: { speed: 2 } } },
      metadata: { desired: { temp: t1, mode: t1 }, reported: { temp: t2, fan: { speed: t2 } } },
      timestamp: clock,
      version: 2,
    });

    const removed = await request("update", { state: { desired: { mode: null } } }, 4);
    expect(removed["update/accepted"]?.state).toEqual({
      desired: { temp: 20 },
      reported: { temp: 20, fan: { speed: 2 } },
    });
    expect(removed["update/delta"]?.state).toEqual({});
  });

  it("an update that is not a shadow document is rejected 400 on update/rejected and changes nothing", async () => {
    const plugin = createShadowPlugin();
    const port = await startBroker([plugin]);
    const { request } = await device(port, "$shadow/dev2/main");
    expect((await request("update", "not json", 1))["update/rejected"]).toMatchObject({ code: 400 });
    expect((await request("update", { desired: { a: 1 } }, 1))["update/rejected"]).toMatchObject({
      code: 400,
      message: "'state' field is required",
    });
    expect(await request("get", {}, 1)).toHaveProperty("get/rejected");
  });

  it("mosquitto_sub receives the delta a desired change makes", async () => {
    const port = await startBroker([createShadowPlugin()]);
    const sub = mosquittoSub(port, "$shadow/lamp/main/update/delta");
    await sub.ready;
    const { request } = await device(port, "$shadow/lamp/main");
    await request("update", { state: { desired: { on: true } } }, 4);
    expect(JSON.parse(await sub.line)).toMatchObject({ state: { on: true }, version: 1 });
  });

  it("a SQLite connection keeps the versions and the per-key timestamps across a restart", async () => {
    const connection = `sqlite+aiosqlite:///${join(mkdtempSync(join(tmpdir(), "amqtt-shadow-")), "shadows.db")}`;
    let clock = 1000;
    const first = createShadowPlugin({ connection }, { now: () => clock });
    const port = await startBroker([first]);
    const { request } = await device(port, "$shadow/dev3/main");
    await request("update", { state: { reported: { a: 1 } } }, 4);
    await brokers.pop()?.stop();

    clock = 5000;
    const again = await startBroker([createShadowPlugin({ connection }, { now: () => clock })]);
    const second = await device(again, "$shadow/dev3/main");
    expect((await second.request("get", {}, 1))["get/accepted"]).toEqual({
      state: { desired: {}, reported: { a: 1 } },
      metadata: { desired: {}, reported: { a: { timestamp: 1000 } } },
      timestamp: 1000,
      version: 1,
    });
    expect(
      (await second.request("update", { state: { reported: { b: 2 } } }, 4))["update/accepted"],
    ).toMatchObject({
      version: 2,
      metadata: { reported: { a: { timestamp: 1000 }, b: { timestamp: 5000 } } },
    });
  });

  it("in memory, at most max_shadows shadows are kept; an update for one more is rejected", async () => {
    const port = await startBroker([createShadowPlugin({ max_shadows: 1 })]);
    const one = await device(port, "$shadow/d1/main");
    await one.request("update", { state: { reported: { a: 1 } } }, 4);
    const two = await device(port, "$shadow/d2/main");
    expect(
      (await two.request("update", { state: { reported: { a: 1 } } }, 1))["update/rejected"],
    ).toMatchObject({
      code: 500,
    });
  });

  it("requests waiting are bounded by max_pending; more are dropped", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const plugin: ShadowPlugin = createShadowPlugin(
      { max_pending: 2 },
      {
        repository: {
          latest: async () => {
            await gate;
            return undefined;
          },
          insert: async () => {},
          close: async () => {},
        },
      },
    );
    const client = {
      clientId: "c",
      username: undefined,
      password: undefined,
      protocolVersion: 5 as const,
      listener: "default",
      remoteAddress: undefined,
      anonymous: true,
      attributes: new Map(),
    };
    const get = { topic: "$shadow/d/n/get", payload: new Uint8Array(), qos: 0 as const, retain: false };
    for (let i = 0; i < 5; i++) plugin.onMessageReceived?.(client, get);
    expect(plugin.pendingRequests).toBe(2);
    release();
    await plugin.idle();
    expect(plugin.pendingRequests).toBe(0);
  });
});

describe("ShadowTopicAuthPlugin", () => {
  const as = (username: string | undefined) => ({
    clientId: "c",
    username,
    password: undefined,
    protocolVersion: 5 as const,
    listener: "default",
    remoteAddress: undefined,
    anonymous: false,
    attributes: new Map(),
  });
  const msg = (topic: string) => ({ topic, payload: new Uint8Array(), qos: 0 as const, retain: false });
  const auth = createShadowTopicAuthPlugin({ superusers: ["app"] });

  it("lets a device use its own shadow topics and a superuser any device's", () => {
    expect(auth.authorizePublish?.(as("dev1"), msg("$shadow/dev1/main/update"))).toBe(true);
    expect(auth.authorizeSubscribe?.(as("dev1"), "$shadow/dev1/main/update/delta", 1)).toBe(true);
    expect(auth.authorizeReceive?.(as("app"), msg("$shadow/dev1/main/get/accepted"))).toBe(true);
  });

  it("denies another device's shadow, an anonymous client, and every topic outside $shadow (as aMQTT)", () => {
    expect(auth.authorizePublish?.(as("dev2"), msg("$shadow/dev1/main/update"))).toBe(false);
    expect(auth.authorizeSubscribe?.(as(undefined), "$shadow/dev1/main/get/accepted", 0)).toBe(false);
    expect(auth.authorizePublish?.(as("dev1"), msg("sensors/dev1"))).toBe(false);
    expect(auth.authorizeSubscribe?.(as("dev1"), "$shadow/+/main/get/accepted", 0)).toBe(false);
  });
});
