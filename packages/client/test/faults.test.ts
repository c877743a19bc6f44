import { describe, expect, it } from "vitest";
import { ClientError, PublishError } from "../src/index.js";
import { startOurBroker } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";
import { startProxy } from "./helpers/proxy.js";

describe("MQTTClient under faults", () => {
  it.each([1, 2] as const)(
    "loses nothing it reported delivered when the connection is cut three times during QoS %i publishing (QoS 2 exactly once)",
    async (qos) => {
      const { url } = await startOurBroker();
      const proxy = await startProxy(Number(new URL(url).port));
      const sub = newClient({ cleansession: false, maxDeliveryQueue: 10_000 });
      await sub.connect(url);
      await sub.subscribe([["f/#", 2]]);
      const pub = newClient({ cleansession: false });
      await pub.connect(proxy.url);
      const total = 300;
      const results: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        results.push(pub.publish(`f/${i}`, String(i), { qos }));
        if (i % 100 === 50) {
          // Let some go out, then cut the network under the flows in flight.
          await new Promise((r) => setTimeout(r, 5));
          proxy.cut();
        }
      }
      const settled = await Promise.allSettled(results);
      expect(settled.filter((s) => s.status === "rejected")).toEqual([]);
      expect(proxy.opened).toBeGreaterThan(1);
      const counts = new Map<string, number>();
      while (counts.size < total) {
        const m = await sub.deliverMessage({ timeout: 5 });
        counts.set(text(m.data), (counts.get(text(m.data)) ?? 0) + 1);
      }
      await expect(sub.deliverMessage({ timeout: 0.2 })).rejects.toBeInstanceOf(ClientError);
      if (qos === 2) expect([...counts.values()].every((c) => c === 1)).toBe(true);
    },
  );

  it("detects a stalled network with the keep-alive and reconnects when it recovers", async () => {
    const { url } = await startOurBroker();
    const proxy = await startProxy(Number(new URL(url).port));
    const client = newClient({ keep_alive: 1, pingTimeoutMs: 300 });
    await client.connect(proxy.url);
    const lost = client.once("disconnected");
    proxy.stall(true);
    const event = await lost;
    expect(event.willReconnect).toBe(true);
    expect(event.error?.message).toMatch(/0x8d|keep|ping/i);
    proxy.stall(false);
    await client.once("connected");
    await client.ping();
  });

  it("detects a stalled network while it keeps publishing, with a PINGREQ when nothing is received (section 3.1.2.10)", async () => {
    const { url } = await startOurBroker();
    const proxy = await startProxy(Number(new URL(url).port));
    const client = newClient({ keep_alive: 1, pingTimeoutMs: 300, auto_reconnect: false });
    await client.connect(proxy.url);
    const lost = client.once("disconnected");
    proxy.stall(true);
    // Something is written every 100 ms, so the "nothing sent" rule alone never sends a PINGREQ.
    const publisher = setInterval(() => void client.publish("stall/t", "x", { qos: 0 }).catch(() => {}), 100);
    try {
      const event = await lost;
      expect(event.willReconnect).toBe(false);
      expect(event.error?.message).toMatch(/0x8d|ping/i);
    } finally {
      clearInterval(publisher);
    }
  });

  it("bounds the bytes held for a connection that is not taking them: QoS 0 beyond maxWriteBufferBytes is refused and the connection stays up", async () => {
    const { url } = await startOurBroker();
    const client = newClient({ maxWriteBufferBytes: 1024 * 1024, auto_reconnect: false });
    await client.connect(url);
    let lost = false;
    client.on("disconnected", () => {
      lost = true;
    });
    // 26 MB in one turn: far more than half the transport's 8 MiB bound plus our 1 MiB (and than the kernel's
    // socket buffers, should bytes leave during the turn). What does not fit is refused; the transport does
    // not close the connection as a slow consumer.
    const big = new Uint8Array(64 * 1024);
    const settled = await Promise.allSettled(
      Array.from({ length: 400 }, () => client.publish("w/t", big, { qos: 0 })),
    );
    const refused = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(PublishError);
      expect(r.reason.reason).toBe("queue-full");
    }
    await client.publish("w/t", "after the burst", { qos: 1 });
    expect(lost).toBe(false);
    expect(client.state).toBe("connected");
  });

  it("bounds the offline queue by count (reject-new) while the broker is down, then sends what it kept", async () => {
    const first = await startOurBroker();
    const port = Number(new URL(first.url).port);
    const client = newClient({ maxOfflineMessages: 3, reconnectInitialDelayMs: 50 });
    await client.connect(first.url);
    const down = client.once("disconnected");
    await first.stop();
    await down;
    const sends = [0, 1, 2, 3, 4].map((i) => client.publish("o/t", String(i), { qos: 1 }));
    expect(client.offlineQueueLength).toBe(3);
    const refused = await Promise.allSettled(sends.slice(3));
    for (const r of refused) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(PublishError);
      expect((r as PromiseRejectedResult).reason.reason).toBe("queue-full");
    }
    const second = await startOurBroker({ port });
    const sub = newClient();
    await sub.connect(second.url);
    await sub.subscribe([["o/#", 1]]);
    const kept = await Promise.all(sends.slice(0, 3));
    expect(kept.map((m) => text(m.data))).toEqual(["0", "1", "2"]);
  });

  it("bounds the offline queue by bytes and evicts the oldest with drop-oldest", async () => {
    const first = await startOurBroker();
    const client = newClient({ maxOfflineBytes: 30, offlineOverflow: "drop-oldest" });
    await client.connect(first.url);
    const down = client.once("disconnected");
    await first.stop();
    await down;
    const payload = "x".repeat(10); // 10 bytes + topic "b" = 11 bytes each
    const sends = [0, 1, 2].map(() => client.publish("b", payload, { qos: 1 }));
    expect(client.offlineQueueLength).toBe(2);
    await expect(sends[0]).rejects.toBeInstanceOf(PublishError);
    await client.disconnect();
    await expect(sends[1]).rejects.toBeInstanceOf(ClientError);
    await expect(sends[2]).rejects.toBeInstanceOf(ClientError);
  });
});
