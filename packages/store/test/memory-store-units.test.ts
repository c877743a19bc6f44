import { describe, expect, it } from "vitest";
import type { QueuedRecord } from "../src/index.js";
import { DEFAULT_STORE_LIMITS, MemoryStore, resolveStoreLimits } from "../src/index.js";
import { storedMessageSize } from "../src/size.js";

const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(7);
const message = (topic: string, payload: Uint8Array): QueuedRecord => ({
  topic,
  payload,
  qos: 1,
  retain: false,
  enqueuedAt: 1,
});

async function openStore(limits = {}): Promise<MemoryStore> {
  const store = new MemoryStore({ limits });
  await store.open();
  return store;
}

describe("MemoryStore defaults", () => {
  it("bounds each client queue at 1000 messages by default, dropping the oldest", async () => {
    const store = await openStore();
    for (let i = 0; i < 1001; i++) await store.enqueue("c", message("t", bytes(1)));
    expect(await store.queueUsage("c")).toEqual({ count: 1000, bytes: 1000 * 2 });
    const [first] = await store.peekQueue("c", 1);
    expect(first?.seq).toBe(2);
  });

  it("bounds each client queue at 16 MiB by default", async () => {
    const store = await openStore();
    const mib = bytes(1024 * 1024 - 1); // plus the one-byte topic: exactly 1 MiB
    for (let i = 0; i < 17; i++) await store.enqueue("c", message("t", mib));
    expect(await store.queueUsage("c")).toEqual({ count: 16, bytes: 16 * 1024 * 1024 });
  });

  it("bounds retained messages at 100,000 topics by default", async () => {
    const store = await openStore();
    for (let i = 0; i < 100_000; i++) {
      await store.setRetained({ topic: `t/${i}`, payload: bytes(1), qos: 0, retain: true, storedAt: 0 });
    }
    expect(
      await store.setRetained({ topic: "one/more", payload: bytes(1), qos: 0, retain: true, storedAt: 0 }),
    ).toEqual({ stored: false, refusedBy: "count" });
    expect((await store.retainedUsage()).count).toBe(100_000);
  });

  it("uses the broker configuration's queue defaults", () => {
    expect(DEFAULT_STORE_LIMITS).toMatchObject({
      maxQueuedMessages: 1000,
      maxQueuedBytes: 16 * 1024 * 1024,
      queueOverflow: "drop-oldest",
      maxRetainedMessages: 100_000,
      maxRetainedBytes: 256 * 1024 * 1024,
    });
  });
});

describe("resolveStoreLimits", () => {
  it("fills what is left out with the defaults", () => {
    expect(resolveStoreLimits({ maxQueuedMessages: 5 })).toEqual({
      ...DEFAULT_STORE_LIMITS,
      maxQueuedMessages: 5,
    });
  });

  it("accepts Infinity for no limit", () => {
    expect(resolveStoreLimits({ maxRetainedBytes: Number.POSITIVE_INFINITY }).maxRetainedBytes).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses %s as a bound", (value) => {
    expect(() => new MemoryStore({ limits: { maxQueuedBytes: value } })).toThrow(RangeError);
  });

  it("refuses an unknown overflow policy", () => {
    expect(() => resolveStoreLimits({ queueOverflow: "drop-newest" as never })).toThrow(/queueOverflow/);
  });
});

describe("storedMessageSize", () => {
  it("counts topic UTF-8 bytes, payload, and string and binary properties", () => {
    expect(
      storedMessageSize({
        topic: "é/a", // 4 bytes
        payload: bytes(10),
        qos: 0,
        retain: false,
        properties: {
          contentType: "json", // 4
          responseTopic: "r", // 1
          correlationData: bytes(3),
          userProperties: [["k", "vv"]], // 3
          messageExpiryInterval: 9, // not counted
        },
      }),
    ).toBe(4 + 10 + 4 + 1 + 3 + 3);
  });
});

describe("MemoryStore lifecycle", () => {
  it("cannot be reopened after close", async () => {
    const store = await openStore();
    await store.close();
    await expect(store.open()).rejects.toMatchObject({ name: "StoreClosedError" });
  });

  it("lets go of queued payloads when a queue is acknowledged to the end", async () => {
    const store = await openStore();
    await store.enqueue("c", message("t", bytes(4)));
    const [entry] = await store.peekQueue("c", 10);
    expect(await store.ackQueue("c", entry?.seq ?? 0)).toBe(1);
    expect(await store.queueUsage("c")).toEqual({ count: 0, bytes: 0 });
  });
});
