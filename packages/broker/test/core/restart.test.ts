import { describe, expect, it } from "vitest";
import { Broker, MemoryStore, silentLogger } from "../../src/index.js";
import { collectFor, connectWatching, mqttClient, nextMessages, until } from "./helpers.js";

/** A memory store that survives the broker's stop, standing in for a persistent one. */
class KeptStore extends MemoryStore {
  override async close(): Promise<void> {
    await this.flush();
  }
}

async function startOn(store: MemoryStore, port = 0): Promise<{ broker: Broker; url: string; port: number }> {
  const broker = new Broker(
    { listeners: { default: { type: "tcp", bind: `127.0.0.1:${port}` } }, plugins: { "anonymous-auth": {} } },
    { logger: silentLogger, store },
  );
  await broker.start();
  const bound = broker.addresses()[0]!.port;
  return { broker, url: `mqtt://127.0.0.1:${bound}`, port: bound };
}

describe("the broker through its store", () => {
  it("restores persistent sessions, their queued messages and retained messages after a restart", async () => {
    const store = new KeptStore();
    const first = await startOn(store);
    const sub = await mqttClient(first.url, { clientId: "durable", clean: false });
    await sub.subscribeAsync("d/#", { qos: 1 });
    await sub.endAsync();
    const pub = await mqttClient(first.url);
    await pub.publishAsync("d/queued", "while away", { qos: 1 });
    await pub.publishAsync("d/kept", "retained", { qos: 1, retain: true });
    // Both match the offline subscription "d/#": two messages wait in its queue.
    await until(() => first.broker.stats().storedMessages === 2);
    await pub.endAsync();
    await first.broker.stop();

    const second = await startOn(store, first.port);
    try {
      const { client, sessionPresent } = await connectWatching(second.url, {
        clientId: "durable",
        clean: false,
      });
      const got = nextMessages(client, 2);
      client.connect();
      expect(await sessionPresent).toBe(true);
      // Both queued messages come back from the store.
      expect((await got).map(([t, p]) => `${t}=${p}`).sort()).toEqual([
        "d/kept=retained",
        "d/queued=while away",
      ]);
      const fresh = await mqttClient(second.url);
      const retained = nextMessages(fresh, 1);
      await fresh.subscribeAsync("d/kept");
      expect((await retained)[0]![2].retain).toBe(true);
      // The subscription itself came back: a new message reaches the client.
      const live = nextMessages(client, 1);
      await fresh.publishAsync("d/live", "after restart", { qos: 1 });
      expect((await live)[0]!.slice(0, 2)).toEqual(["d/live", "after restart"]);
      expect(await collectFor(client, 100)).toEqual([]);
    } finally {
      await second.broker.stop();
    }
  });

  it("forgets a clean session at disconnect: nothing is stored for it", async () => {
    const store = new KeptStore();
    const { broker, url } = await startOn(store);
    try {
      const c = await mqttClient(url, { clientId: "passing", clean: true });
      await c.subscribeAsync("x/#");
      await c.endAsync();
      await until(() => !broker.sessions.has("passing"));
      expect(await store.listSessions()).toEqual([]);
    } finally {
      await broker.stop();
    }
  });
});

describe("stopping and starting the same broker", () => {
  it("starts again clean with its own memory store: no stale subscriptions or retained messages", async () => {
    const broker = new Broker(
      { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } }, plugins: { "anonymous-auth": {} } },
      { logger: silentLogger },
    );
    await broker.start();
    let url = `mqtt://127.0.0.1:${broker.addresses()[0]!.port}`;
    const sub = await mqttClient(url, { clientId: "old", clean: false });
    await sub.subscribeAsync("s/#", { qos: 1 });
    await sub.endAsync();
    const pub = await mqttClient(url);
    await pub.publishAsync("s/r", "kept", { qos: 1, retain: true });
    await pub.endAsync();
    await broker.stop();
    await broker.start();
    try {
      url = `mqtt://127.0.0.1:${broker.addresses()[0]!.port}`;
      expect(broker.sessions.size).toBe(0);
      expect(broker.retained.size).toBe(0);
      expect(broker.stats().subscriptionsCount).toBe(0);
      const fresh = await mqttClient(url);
      await fresh.subscribeAsync("s/#");
      expect(await collectFor(fresh, 150)).toEqual([]);
    } finally {
      await broker.stop();
    }
  });
});
