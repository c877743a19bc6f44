import { expect, it } from "vitest";
import type { BrokerStore } from "../index.js";
import { bareSession, fullSession, plain, queued, retained } from "./fixtures.js";
import type { CreateStore, SuiteContext } from "./harness.js";

/** Open/close rules, ordering of calls that are not awaited, flush and reopen. @internal */
export function lifecycleTests(ctx: SuiteContext, createStore: CreateStore): void {
  it("says whether it is persistent and which bounds it enforces", async () => {
    const store = await ctx.open({ maxQueuedMessages: 7, queueOverflow: "refuse-new" });
    expect(typeof store.persistent).toBe("boolean");
    expect(store.limits).toMatchObject({ maxQueuedMessages: 7, queueOverflow: "refuse-new" });
  });

  it("rejects calls before open with a StoreClosedError", async () => {
    const store = await createStore();
    await expect(store.loadSession("c")).rejects.toMatchObject({ name: "StoreClosedError" });
    await expect(store.enqueue("c", queued(1))).rejects.toMatchObject({ name: "StoreClosedError" });
    await expect(store.setRetained(retained("t"))).rejects.toMatchObject({ name: "StoreClosedError" });
    await store.close();
  });

  it("rejects calls after close with a StoreClosedError, and a second close resolves", async () => {
    const store = await ctx.open();
    await store.close();
    await expect(store.flush()).rejects.toMatchObject({ name: "StoreClosedError" });
    await expect(store.saveSession(bareSession("c"))).rejects.toMatchObject({ name: "StoreClosedError" });
    await expect(store.peekQueue("c", 1)).rejects.toMatchObject({ name: "StoreClosedError" });
    await expect(store.matchRetained("#")).rejects.toMatchObject({ name: "StoreClosedError" });
    await expect(store.close()).resolves.toBeUndefined();
  });

  it("applies calls in call order even when they are not awaited", async () => {
    const store = await ctx.open();
    const calls: Promise<unknown>[] = [
      store.setRetained(retained("t", 1)),
      store.setRetained(retained("t", 2)),
      store.saveSession(bareSession("s")),
      store.deleteSession("s"),
      store.saveSession(fullSession("s2")),
    ];
    for (let i = 0; i < 20; i++) calls.push(store.enqueue("c", queued(i)));
    const got = store.getRetained("t");
    const gone = store.loadSession("s");
    const peeked = store.peekQueue("c", 100);
    await Promise.all(calls);
    expect((await got)?.payload.byteLength).toBe(2);
    expect(await gone).toBeUndefined();
    expect((await peeked).map((e) => e.payload[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(plain(await store.loadSession("s2"))).toEqual(fullSession("s2"));
  });

  it("resolves flush only after every earlier write has resolved", async () => {
    const store = await ctx.open();
    const settled: string[] = [];
    const track = (label: string, p: Promise<unknown>): Promise<void> =>
      p.then(() => void settled.push(label));
    const writes = [
      track("session", store.saveSession(fullSession())),
      track("enqueue", store.enqueue("c", queued(1))),
      track("retain", store.setRetained(retained("t"))),
    ];
    await store.flush();
    settled.push("flush");
    await Promise.all(writes);
    expect(settled.indexOf("flush")).toBe(3);
    await expect(store.flush()).resolves.toBeUndefined(); // idle flush
  });

  it("makes flushed writes visible to a second instance over the same storage, if persistent", async () => {
    const first = await ctx.open();
    void first.saveSession(fullSession());
    void first.enqueue("client-1", queued(1));
    void first.setRetained(retained("t"));
    await first.flush();
    const second = await ctx.open();
    await expectSameData(second, first.persistent);
  });

  it("keeps every kind of data across close and reopen when persistent, and nothing otherwise", async () => {
    const first = await ctx.open({ maxQueuedMessages: 3 });
    await first.saveSession(fullSession());
    await first.saveSession(bareSession("other", 5));
    for (let i = 0; i < 3; i++) await first.enqueue("client-1", queued(i));
    const lastSeq = (await first.peekQueue("client-1", 3)).at(-1)?.seq ?? 0;
    await first.setRetained(retained("t"));
    await first.setRetained(retained("$SYS/x"));
    // Writes still pending when close is called are kept too (close flushes).
    void first.enqueue("other", queued(9));
    await first.close();

    const second = await ctx.open({ maxQueuedMessages: 3 });
    if (first.persistent) {
      expect(plain(await second.loadSession("client-1"))).toEqual(fullSession());
      expect((await second.listSessions()).map((s) => s.clientId).sort()).toEqual(["client-1", "other"]);
      expect((await second.peekQueue("client-1", 10)).map((e) => e.payload[0])).toEqual([0, 1, 2]);
      expect((await second.peekQueue("other", 10)).map((e) => e.payload[0])).toEqual([9]);
      expect((await second.matchRetained("$SYS/#")).map((m) => m.topic)).toEqual(["$SYS/x"]);
      expect(await second.retainedUsage()).toEqual(usageOf(retained("t"), retained("$SYS/x")));
      // The count bound holds over what was stored before, and seq keeps growing.
      expect(await second.enqueue("client-1", queued(3))).toEqual({ accepted: true, dropped: 1 });
      const entries = await second.peekQueue("client-1", 10);
      expect(entries.map((e) => e.payload[0])).toEqual([1, 2, 3]);
      expect(entries.at(-1)?.seq).toBeGreaterThan(lastSeq);
      // Expiry still applies to reopened data.
      expect((await second.deleteExpiredSessions(5)).map((s) => s.clientId)).toEqual(["other"]);
    } else {
      expect(await second.listSessions()).toEqual([]);
      expect(await second.queueUsage("client-1")).toEqual({ count: 0, bytes: 0 });
      expect(await second.listRetained()).toEqual([]);
      expect(await second.enqueue("client-1", queued(3))).toEqual({ accepted: true, dropped: 0 });
    }
  });
}

function usageOf(...messages: { topic: string; payload: Uint8Array }[]): { count: number; bytes: number } {
  let bytes = 0;
  for (const m of messages) bytes += new TextEncoder().encode(m.topic).byteLength + m.payload.byteLength;
  return { count: messages.length, bytes };
}

async function expectSameData(store: BrokerStore, persistent: boolean): Promise<void> {
  if (persistent) {
    expect(plain(await store.loadSession("client-1"))).toEqual(fullSession());
    expect((await store.peekQueue("client-1", 10)).map((e) => e.payload[0])).toEqual([1]);
    expect(plain(await store.getRetained("t"))).toEqual(retained("t"));
  } else {
    expect(await store.loadSession("client-1")).toBeUndefined();
    expect(await store.queueUsage("client-1")).toEqual({ count: 0, bytes: 0 });
    expect(await store.getRetained("t")).toBeUndefined();
  }
}
