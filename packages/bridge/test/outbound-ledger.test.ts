import { MemoryStore } from "@amqtt/broker";
import type { QueueEntry } from "@amqtt/store";
import { describe, expect, it } from "vitest";
import { OutboundLedger } from "../src/outbound-ledger.js";
import { restoredSession } from "../src/restored-session.js";

const QUEUE = "$bridge-out/test";

async function openStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.open();
  return store;
}

function ledgerOn(store: MemoryStore, errors: unknown[] = []): OutboundLedger {
  return new OutboundLedger(
    () => store,
    QUEUE,
    (e) => errors.push(e),
  );
}

describe("OutboundLedger (the outbound QoS 1/2 packet ids in flight, in the store)", () => {
  it("[MQTT-4.4.0-1] a new run reads back each flow's packet id and stage; acknowledged ones are marked done", async () => {
    const store = await openStore();
    const first = ledgerOn(store);
    await first.load();
    await first.sent(10, 4);
    await first.sent(11, 5);
    await first.sent(12, 6);
    await first.released(11);
    first.completed(12);
    await store.flush();
    const second = ledgerOn(store);
    await second.load();
    expect(second.live()).toEqual([
      { seq: 10, packetId: 4, stage: "publish", done: false },
      { seq: 11, packetId: 5, stage: "pubrel", done: false },
    ]);
    expect(second.flow(12)?.done).toBe(true);
    expect(second.seqOf(5)).toBe(11);
    expect(second.seqOf(6)).toBeUndefined();
    expect(second.lastPacketId).toBe(6);
  });

  it("a packet id given to a new message ends the flow that had it (the client reuses an id only after its flow)", async () => {
    const store = await openStore();
    const first = ledgerOn(store);
    await first.load();
    await first.sent(1, 1);
    await first.sent(2, 1);
    expect(first.flow(1)?.done).toBe(true);
    const second = ledgerOn(store);
    await second.load();
    expect(second.live().map((f) => f.seq)).toEqual([2]);
    expect(second.flow(1)?.done).toBe(true);
  });

  it("changes of one turn are one store row, and sent() resolves only after the store's flush", async () => {
    const store = await openStore();
    let flushed = 0;
    const flush = store.flush.bind(store);
    store.flush = async () => {
      await flush();
      flushed++;
    };
    const ledger = ledgerOn(store);
    await ledger.load();
    const a = ledger.sent(1, 1);
    const b = ledger.sent(2, 2);
    expect(a).toBe(b);
    await a;
    expect(flushed).toBe(1);
    expect((await store.queueUsage(QUEUE)).count).toBe(1);
  });

  it("[MQTT-4.3.1-1] a new run knows which QoS 0 entries were written already, through a snapshot too; forget() drops them", async () => {
    const store = await openStore();
    const first = ledgerOn(store);
    await first.load();
    await first.sent(1, 7);
    await first.taken(2);
    await first.taken(3);
    await store.flush();
    const second = ledgerOn(store);
    await second.load();
    expect([1, 2, 3, 4].map((seq) => second.wasTaken(seq))).toEqual([false, true, true, false]);
    expect(second.live().map((f) => f.seq)).toEqual([1]);
    // Enough turns for a compaction: the snapshot keeps the marks still queued.
    for (let seq = 10; seq < 400; seq++) await second.taken(seq);
    second.forget(200);
    expect(second.wasTaken(2)).toBe(false);
    expect(second.wasTaken(200)).toBe(false);
    for (let seq = 400; seq < 500; seq++) await second.taken(seq);
    expect(second.size).toBe(299);
    await store.flush();
    // A mark of a removed entry may come back from rows older than the last snapshot:
    // harmless, a store never gives a seq twice (QueueEntry.seq).
    const third = ledgerOn(store);
    await third.load();
    for (const seq of [201, 300, 399, 400, 499]) expect(third.wasTaken(seq), String(seq)).toBe(true);
    expect((await store.queueUsage(QUEUE)).count).toBeLessThanOrEqual(130);
  });

  it("keeps its log bounded: 2000 flows through it leave at most about COMPACT_AT rows, and forget() drops removed entries", async () => {
    const store = await openStore();
    const errors: unknown[] = [];
    const ledger = ledgerOn(store, errors);
    await ledger.load();
    for (let seq = 1; seq <= 2000; seq++) {
      await ledger.sent(seq, ((seq - 1) % 65_535) + 1);
      ledger.completed(seq);
      ledger.forget(seq);
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual([]);
    expect(ledger.size).toBe(0);
    expect((await store.queueUsage(QUEUE)).count).toBeLessThanOrEqual(130);
    const again = ledgerOn(store);
    await again.load();
    expect(again.live()).toEqual([]);
  });
});

describe("restoredSession (the client session a restart resumes)", () => {
  const entry = (seq: number, qos: 0 | 1 | 2): QueueEntry => ({
    seq,
    topic: `t/${seq}`,
    payload: new TextEncoder().encode(`p${seq}`),
    qos,
    retain: false,
    enqueuedAt: 0,
  });

  it("[MQTT-4.4.0-1] holds each flow with its original id and stage, DUP on the next PUBLISH, the queue's seqs", () => {
    const { snapshot, seqs } = restoredSession(
      { protocolVersion: 5, clientId: "b", sessionExpiryInterval: 60 },
      [
        { seq: 3, packetId: 9, stage: "pubrel", done: false },
        { seq: 4, packetId: 10, stage: "publish", done: false },
        { seq: 5, packetId: 11, stage: "publish", done: false },
      ],
      [entry(3, 2), entry(4, 1)],
      11,
      0,
    );
    // Seq 5 has no entry: the queue removed it, so it is not resent.
    expect([...seqs]).toEqual([3, 4]);
    expect(
      snapshot.sender.inFlight.map((f) => [f.seq, f.packetId, f.stage, f.sentBefore, f.message.topic]),
    ).toEqual([
      [3, 9, "pubrel", true, "t/3"],
      [4, 10, "publish", true, "t/4"],
    ]);
    expect(snapshot.sender.nextSeq).toBe(5);
    expect(snapshot.sender.nextPacketId).toBe(12);
  });
});
