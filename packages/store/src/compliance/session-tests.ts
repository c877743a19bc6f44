import { expect, it } from "vitest";
import { bareSession, fullSession, plain, queued } from "./fixtures.js";
import type { SuiteContext } from "./harness.js";

/** Save, load, replace, delete, list and expire sessions. @internal */
export function sessionTests(ctx: SuiteContext): void {
  it("loads a saved session with every field and byte as it was saved", async () => {
    const store = await ctx.open();
    await store.saveSession(fullSession());
    expect(plain(await store.loadSession("client-1"))).toEqual(fullSession());
  });

  it("keeps a session through a JSON round trip of its QoS snapshots", async () => {
    const store = await ctx.open();
    await store.saveSession(fullSession());
    const loaded = await store.loadSession("client-1");
    expect(JSON.parse(JSON.stringify(loaded?.outgoing))).toEqual(fullSession().outgoing);
    expect(JSON.parse(JSON.stringify(loaded?.incoming))).toEqual(fullSession().incoming);
  });

  it("answers undefined for a client without a session", async () => {
    const store = await ctx.open();
    expect(await store.loadSession("nobody")).toBeUndefined();
  });

  it("replaces a session saved again for the same client id", async () => {
    const store = await ctx.open();
    await store.saveSession(fullSession());
    const next = bareSession("client-1");
    await store.saveSession(next);
    expect(plain(await store.loadSession("client-1"))).toEqual(next);
    expect(await store.listSessions()).toHaveLength(1);
  });

  it("keeps client ids apart, including ones that differ only in case or by Unicode", async () => {
    const store = await ctx.open();
    const ids = ["a", "A", "a ", "ä", "a\u0308", ""];
    for (const id of ids) await store.saveSession(bareSession(id));
    for (const id of ids) expect((await store.loadSession(id))?.clientId).toBe(id);
    expect((await store.listSessions()).map((s) => s.clientId).sort()).toEqual([...ids].sort());
  });

  it("deletes a session and its offline queue", async () => {
    const store = await ctx.open();
    await store.saveSession(bareSession("c"));
    await store.enqueue("c", queued(1));
    await store.deleteSession("c");
    expect(await store.loadSession("c")).toBeUndefined();
    expect(await store.queueUsage("c")).toEqual({ count: 0, bytes: 0 });
    expect(await store.peekQueue("c", 10)).toEqual([]);
  });

  it("deletes a missing session without complaint", async () => {
    const store = await ctx.open();
    await expect(store.deleteSession("nobody")).resolves.toBeUndefined();
  });

  it("lists every session", async () => {
    const store = await ctx.open();
    await store.saveSession(fullSession("x"));
    await store.saveSession(bareSession("y"));
    const listed = plain(await store.listSessions()).sort((a, b) => a.clientId.localeCompare(b.clientId));
    expect(listed).toEqual([fullSession("x"), bareSession("y")]);
  });

  it("deletes sessions expired at or before now, with their queues, and returns them", async () => {
    const store = await ctx.open();
    const now = 1_700_000_000_000;
    await store.saveSession(bareSession("past", now - 1));
    await store.saveSession(bareSession("exactly-now", now));
    await store.saveSession(bareSession("future", now + 1));
    await store.saveSession(bareSession("connected"));
    await store.enqueue("past", queued(1));
    await store.enqueue("future", queued(2));
    const deleted = await store.deleteExpiredSessions(now);
    expect(plain(deleted).sort((a, b) => a.clientId.localeCompare(b.clientId))).toEqual([
      bareSession("exactly-now", now),
      bareSession("past", now - 1),
    ]);
    expect((await store.listSessions()).map((s) => s.clientId).sort()).toEqual(["connected", "future"]);
    expect((await store.queueUsage("past")).count).toBe(0);
    expect((await store.queueUsage("future")).count).toBe(1);
    expect(await store.deleteExpiredSessions(now)).toEqual([]);
  });

  it("returns the will of an expired session so the broker can publish it", async () => {
    const store = await ctx.open();
    const record = fullSession("w");
    await store.saveSession(record);
    const [deleted] = await store.deleteExpiredSessions(record.expiresAt ?? 0);
    expect(plain(deleted?.will)).toEqual(record.will);
  });

  it("is not changed by mutating a saved record or a loaded one", async () => {
    const store = await ctx.open();
    const record = fullSession();
    await store.saveSession(record);
    record.subscriptions.pop();
    record.will?.payload.fill(0);
    const loaded = await store.loadSession("client-1");
    loaded?.subscriptions.pop();
    loaded?.will?.payload.fill(0);
    expect(plain(await store.loadSession("client-1"))).toEqual(fullSession());
  });
}
