import { join } from "node:path";
import { queued, retained } from "@amqtt/store/compliance";
import { describe, expect, it } from "vitest";
import { nextTurn, openStoreAt, tempDir } from "./helpers.js";

describe("writes batched per event-loop turn", () => {
  it("groups every write of one turn into one transaction, committed when the turn ends", async () => {
    const store = await openStoreAt(join(tempDir(), "b.db"), { limits: { maxQueuedMessages: 1000 } });
    const before = store.commits;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) writes.push(store.enqueue("c", queued(i)));
    writes.push(store.setRetained(retained("t")));
    expect(store.pendingCommit).toBe(true);
    await Promise.all(writes);
    expect(store.commits).toBe(before); // the writes resolved, the commit waits for the turn's end
    await store.flush();
    expect(store.commits).toBe(before + 1);
    expect(store.pendingCommit).toBe(false);
  });

  it("shows pending writes to reads of the same instance but not to another connection until the commit", async () => {
    const path = join(tempDir(), "b.db");
    const writer = await openStoreAt(path);
    const reader = await openStoreAt(path);
    await writer.enqueue("c", queued(1));
    expect((await writer.peekQueue("c", 10)).length).toBe(1);
    expect((await reader.peekQueue("c", 10)).length).toBe(0);
    await writer.flush();
    expect((await reader.peekQueue("c", 10)).length).toBe(1);
  });

  it("commits on its own at the end of the turn when nobody calls flush", async () => {
    const path = join(tempDir(), "b.db");
    const writer = await openStoreAt(path);
    const reader = await openStoreAt(path);
    await writer.enqueue("c", queued(1));
    await nextTurn();
    expect(writer.pendingCommit).toBe(false);
    expect((await reader.peekQueue("c", 10)).length).toBe(1);
  });

  it("resolves one flush per turn for many flush calls, all after the same commit", async () => {
    const store = await openStoreAt(join(tempDir(), "b.db"));
    const before = store.commits;
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      void store.enqueue("c", queued(i));
      flushes.push(store.flush());
    }
    await Promise.all(flushes);
    expect(store.commits).toBe(before + 1);
  });

  it("bounds a batch by maxBatchWrites: a turn with more writes commits early, in order", async () => {
    const path = join(tempDir(), "b.db");
    const store = await openStoreAt(path, { maxBatchWrites: 10 });
    const reader = await openStoreAt(path);
    const before = store.commits;
    for (let i = 0; i < 25; i++) void store.enqueue("c", queued(i));
    expect(store.commits).toBe(before + 2); // 10 + 10 committed at once, 5 pending
    expect((await reader.peekQueue("c", 100)).map((e) => e.payload[0])).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    await store.flush();
    expect(store.commits).toBe(before + 3);
    expect((await reader.queueUsage("c")).count).toBe(25);
  });

  it("resolves an idle flush at once, without a commit", async () => {
    const store = await openStoreAt(join(tempDir(), "b.db"));
    const before = store.commits;
    await store.flush();
    expect(store.commits).toBe(before);
  });

  it("commits pending writes on close, so a new instance sees them", async () => {
    const path = join(tempDir(), "b.db");
    const first = await openStoreAt(path);
    void first.enqueue("c", queued(3));
    void first.setRetained(retained("t"));
    await first.close();
    const second = await openStoreAt(path);
    expect((await second.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([3]);
    expect((await second.getRetained("t"))?.topic).toBe("t");
  });

  it("rolls back a failed write whole (its drop-oldest included) and goes on with the next writes", async () => {
    const store = await openStoreAt(join(tempDir(), "b.db"), { limits: { maxQueuedMessages: 2 } });
    void store.enqueue("c", queued(1));
    void store.enqueue("c", queued(2));
    // The queue is full: the oldest row is deleted, then the insert fails on NOT NULL (enqueued_at).
    const bad = store.enqueue("c", { ...queued(3), enqueuedAt: null as unknown as number });
    await expect(bad).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_NOTNULL" });
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([1, 2]);
    expect(store.pendingCommit).toBe(true); // the batch goes on
    void store.enqueue("c", queued(4));
    await store.flush();
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([2, 4]);
    expect(await store.queueUsage("c")).toEqual({ count: 2, bytes: 8 });
  });

  it("rejects a write that cannot take the file's write lock, and goes on once the lock is free", async () => {
    const path = join(tempDir(), "b.db");
    const holder = await openStoreAt(path);
    const waiter = await openStoreAt(path, { busyTimeoutMs: 0 });
    await holder.enqueue("c", queued(1)); // the holder's batch keeps the lock until its turn ends
    await expect(waiter.enqueue("c", queued(2))).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    expect(waiter.pendingCommit).toBe(false);
    await holder.flush();
    await expect(waiter.enqueue("c", queued(3))).resolves.toMatchObject({ accepted: true });
    await waiter.flush();
    expect((await holder.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([1, 3]);
  });
});
