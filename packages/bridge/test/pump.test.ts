import { MemoryStore } from "@amqtt/broker";
import type { MQTTClient } from "@amqtt/client";
import { describe, expect, it } from "vitest";
import { OutboundPump } from "../src/outbound-pump.js";
import { DurableOutbox } from "../src/outbox.js";

const QUEUE = "$bridge/pump";

/** A remote that acknowledges every publish at once (the PUBACK of a fast broker). */
function instantRemote(): { client: MQTTClient; published: string[] } {
  const published: string[] = [];
  const client = {
    state: "connected",
    publish(topic: string) {
      published.push(topic);
      return Promise.resolve();
    },
  } as unknown as MQTTClient;
  return { client, published };
}

async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("OutboundPump (the outbound queue to the remote)", () => {
  it("reads on past acknowledged entries the store has not removed yet (a slow ackQueue), so a queue filled before the start drains completely", async () => {
    const store = new MemoryStore({ limits: { maxQueuedMessages: 100_000 } });
    await store.open();
    // Removal lags: acknowledged entries stay at the queue's front for a while.
    const ackQueue = store.ackQueue.bind(store);
    store.ackQueue = async (id, through) => {
      await new Promise((r) => setTimeout(r, 20));
      return ackQueue(id, through);
    };
    const outbox = new DurableOutbox(
      () => store,
      QUEUE,
      100_000,
      1 << 30,
      (e) => {
        throw e;
      },
    );
    await outbox.open();
    const total = 3000;
    for (let i = 0; i < total; i++)
      outbox.offer({ topic: `t/${i}`, payload: new Uint8Array(8), qos: 1, retain: false, enqueuedAt: 0 });
    await store.flush();
    expect(outbox.usage()).toMatchObject({ count: total, dropped: 0 });
    const pump = new OutboundPump(outbox, 100, undefined, (e) => {
      throw e;
    });
    const remote = instantRemote();
    // Everything was queued before the start: no queued() call will wake the pump again.
    pump.start(remote.client);
    await until("every entry at the remote", () => remote.published.length === total);
    expect(remote.published[total - 1]).toBe(`t/${total - 1}`);
    expect(new Set(remote.published).size).toBe(total);
    await until("the queue emptied", () => outbox.usage().count === 0);
  });
});
