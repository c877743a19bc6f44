import { MemoryStore } from "@amqtt/broker";
import { describe, expect, it } from "vitest";
import { InboundLedger } from "../src/inbound-ledger.js";

const QUEUE = "$bridge-in/test";

async function openStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.open();
  return store;
}

function ledgerOn(store: MemoryStore, errors: unknown[] = []): InboundLedger {
  return new InboundLedger(
    () => store,
    QUEUE,
    (e) => errors.push(e),
  );
}

describe("InboundLedger (the inbound QoS 2 ids received and not released, in the store)", () => {
  it("[MQTT-4.3.3-9] a new run reads back the ids held, without the released ones", async () => {
    const store = await openStore();
    const first = ledgerOn(store);
    await first.load();
    first.add(7);
    first.add(8);
    first.add(9);
    first.release(8);
    await store.flush();
    const second = ledgerOn(store);
    await second.load();
    expect([7, 8, 9].map((id) => second.has(id))).toEqual([true, false, true]);
    expect(second.size).toBe(2);
  });

  it("[MQTT-4.3.3-12] a released id is free: releasing it again writes nothing, and clear() forgets every id", async () => {
    const store = await openStore();
    const ledger = ledgerOn(store);
    await ledger.load();
    ledger.add(1);
    ledger.release(1);
    ledger.release(1);
    await store.flush();
    expect((await store.queueUsage(QUEUE)).count).toBe(2);
    ledger.add(2);
    ledger.clear();
    await store.flush();
    const again = ledgerOn(store);
    await again.load();
    expect(again.size).toBe(0);
  });

  it("keeps its log bounded: 5000 messages through it leave fewer than 200 entries in the store, and the set is exact", async () => {
    const store = await openStore();
    const errors: unknown[] = [];
    const ledger = ledgerOn(store, errors);
    await ledger.load();
    let maxEntries = 0;
    for (let i = 1; i <= 5000; i++) {
      const id = ((i - 1) % 65_535) + 1;
      ledger.add(id);
      // The remote keeps up to 20 in flight: the PUBREL of the message 20 back arrives now.
      if (i > 20) ledger.release(i - 20);
      // A turn of the event loop every 10 messages (as PUBLISH packets come in from a socket).
      if (i % 10 === 0) {
        await new Promise((r) => setImmediate(r));
        maxEntries = Math.max(maxEntries, (await store.queueUsage(QUEUE)).count);
      }
    }
    await store.flush();
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual([]);
    expect(maxEntries).toBeLessThan(200);
    const reloaded = ledgerOn(store);
    await reloaded.load();
    expect(reloaded.size).toBe(20);
    for (let id = 4981; id <= 5000; id++) expect(reloaded.has(id)).toBe(true);
    expect(reloaded.has(4980)).toBe(false);
  });
});
