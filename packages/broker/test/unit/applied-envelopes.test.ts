import { describe, expect, it } from "vitest";
import { AppliedEnvelopes, appliedQueueId, readApplied } from "../../src/cluster/applied-envelopes.js";
import { MemoryStore } from "../../src/index.js";

const settle = () => new Promise((r) => setTimeout(r, 10));

/** An open memory store and node n1's log in it; `onError` hears the log's failed writes. */
async function openLog(onError: (error: unknown) => void = () => {}) {
  const store = new MemoryStore();
  await store.open();
  const log = new AppliedEnvelopes(
    () => store,
    "n1",
    (_m, e) => onError(e),
  );
  return { store, log };
}

describe("AppliedEnvelopes (a node's durable, unacknowledged envelope ids in the shared store)", () => {
  it("keeps the unacknowledged ones readable by an adopter, in order", async () => {
    const { store, log } = await openLog();
    log.record("n0", "e1");
    log.record("n2", "e2");
    log.record("n0", "e3");
    log.acknowledged("n2", "e2");
    await settle();
    expect(log.size).toBe(2);
    expect(await readApplied(store, "n1", 100)).toEqual([
      { from: "n0", id: "e1" },
      { from: "n2", id: "e2" },
      { from: "n0", id: "e3" },
    ]);
  });

  it("is bounded: 2000 envelopes recorded and acknowledged leave at most a prune's worth of rows", async () => {
    const errors: unknown[] = [];
    const { store, log } = await openLog((e) => errors.push(e));
    for (let i = 0; i < 2000; i++) {
      log.record("n0", `e${i}`);
      log.acknowledged("n0", `e${i}`);
      if (i % 50 === 0) await settle();
    }
    await settle();
    expect(errors).toEqual([]);
    expect(log.size).toBe(0);
    expect((await store.queueUsage(appliedQueueId("n1"))).count).toBeLessThanOrEqual(128);
  });

  it("never prunes past an unacknowledged envelope", async () => {
    const { store, log } = await openLog();
    log.record("n0", "stuck");
    for (let i = 0; i < 300; i++) {
      log.record("n0", `e${i}`);
      log.acknowledged("n0", `e${i}`);
    }
    await settle();
    const rows = await readApplied(store, "n1", 1000);
    expect(rows[0]).toEqual({ from: "n0", id: "stuck" });
  });
});
