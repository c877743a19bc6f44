import { expect, it } from "vitest";
import { clearOf, pattern, plain, retained } from "./fixtures.js";
import type { SuiteContext } from "./harness.js";

const topicsOf = (messages: { topic: string }[]): string[] => messages.map((m) => m.topic).sort();

/** Retained messages: set, replace, clear, match, bounds and expiry. @internal */
export function retainedTests(ctx: SuiteContext): void {
  it("round-trips a retained message with its properties, expiry and bytes", async () => {
    const store = await ctx.open();
    const message = {
      ...retained("a/b", 500, 1_700_000_060_000),
      properties: {
        messageExpiryInterval: 60,
        contentType: "text/plain",
        correlationData: pattern(4, 9),
        userProperties: [["x", "y"] as [string, string]],
      },
    };
    expect(await store.setRetained(message)).toEqual({ stored: true });
    expect(plain(await store.getRetained("a/b"))).toEqual(message);
    expect(await store.getRetained("a/c")).toBeUndefined();
  });

  it("replaces the retained message of a topic", async () => {
    const store = await ctx.open();
    await store.setRetained(retained("t", 4));
    const next = { ...retained("t", 9), qos: 0 as const };
    await store.setRetained(next);
    expect(plain(await store.getRetained("t"))).toEqual(next);
    expect(await store.retainedUsage()).toEqual({ count: 1, bytes: 1 + 9 });
  });

  it("clears a topic with an empty payload and stores no empty message", async () => {
    const store = await ctx.open();
    await store.setRetained(retained("t"));
    expect(await store.setRetained(clearOf("t"))).toEqual({ stored: true });
    expect(await store.getRetained("t")).toBeUndefined();
    expect(await store.setRetained(clearOf("never-set"))).toEqual({ stored: true });
    expect(await store.getRetained("never-set")).toBeUndefined();
    expect(await store.retainedUsage()).toEqual({ count: 0, bytes: 0 });
    expect(await store.listRetained()).toEqual([]);
  });

  it("matches retained messages with +, # and exact filters (section 4.7)", async () => {
    const store = await ctx.open();
    for (const topic of ["a", "a/b", "a/b/c", "a/c", "b/b", "/a", "a//b", "A/b"]) {
      await store.setRetained(retained(topic));
    }
    expect(topicsOf(await store.matchRetained("a/b"))).toEqual(["a/b"]);
    expect(topicsOf(await store.matchRetained("a/+"))).toEqual(["a/b", "a/c"]);
    expect(topicsOf(await store.matchRetained("+/b"))).toEqual(["A/b", "a/b", "b/b"]);
    expect(topicsOf(await store.matchRetained("a/#"))).toEqual(["a", "a//b", "a/b", "a/b/c", "a/c"]);
    expect(topicsOf(await store.matchRetained("a/+/b"))).toEqual(["a//b"]);
    expect(topicsOf(await store.matchRetained("+/+"))).toEqual(["/a", "A/b", "a/b", "a/c", "b/b"]);
    expect(topicsOf(await store.matchRetained("#"))).toHaveLength(8);
    expect(await store.matchRetained("x/#")).toEqual([]);
  });

  it("never matches $ topics with a filter starting with a wildcard [MQTT-4.7.2-1]", async () => {
    const store = await ctx.open();
    for (const topic of ["$SYS/broker/uptime", "$SYS", "$other/x", "plain/x"]) {
      await store.setRetained(retained(topic));
    }
    expect(topicsOf(await store.matchRetained("#"))).toEqual(["plain/x"]);
    expect(topicsOf(await store.matchRetained("+/x"))).toEqual(["plain/x"]);
    expect(topicsOf(await store.matchRetained("+/broker/+"))).toEqual([]);
    expect(topicsOf(await store.matchRetained("$SYS/#"))).toEqual(["$SYS", "$SYS/broker/uptime"]);
    expect(topicsOf(await store.matchRetained("$other/+"))).toEqual(["$other/x"]);
    expect(topicsOf(await store.listRetained())).toEqual([
      "$SYS",
      "$SYS/broker/uptime",
      "$other/x",
      "plain/x",
    ]);
  });

  it("counts retained messages and their bytes", async () => {
    const store = await ctx.open();
    await store.setRetained(retained("ab", 4));
    await store.setRetained(retained("ü", 1)); // 2 UTF-8 bytes
    expect(await store.retainedUsage()).toEqual({ count: 2, bytes: 6 + 3 });
  });

  it("refuses a new topic beyond the count bound but still replaces and clears", async () => {
    const store = await ctx.open({ maxRetainedMessages: 2 });
    await store.setRetained(retained("a"));
    await store.setRetained(retained("b"));
    expect(await store.setRetained(retained("c"))).toEqual({ stored: false, refusedBy: "count" });
    expect(await store.getRetained("c")).toBeUndefined();
    expect(await store.setRetained(retained("a", 9))).toEqual({ stored: true });
    await store.setRetained(clearOf("b"));
    expect(await store.setRetained(retained("c"))).toEqual({ stored: true });
    expect(topicsOf(await store.listRetained())).toEqual(["a", "c"]);
  });

  it("refuses a message that would pass the byte bound and keeps the previous one", async () => {
    const store = await ctx.open({ maxRetainedBytes: 20 });
    await store.setRetained(retained("a", 9)); // 10
    await store.setRetained(retained("b", 4)); // 15
    expect(await store.setRetained(retained("c", 5))).toEqual({ stored: false, refusedBy: "bytes" });
    expect(await store.setRetained(retained("b", 10))).toEqual({ stored: false, refusedBy: "bytes" });
    expect(plain(await store.getRetained("b"))).toEqual(retained("b", 4));
    expect(await store.setRetained(retained("b", 9))).toEqual({ stored: true }); // exactly 20
    expect(await store.retainedUsage()).toEqual({ count: 2, bytes: 20 });
  });

  it("drops retained messages expired at or before now", async () => {
    const store = await ctx.open();
    const now = 1_700_000_000_000;
    await store.setRetained(retained("past", 4, now - 1));
    await store.setRetained(retained("now", 4, now));
    await store.setRetained(retained("later", 4, now + 1));
    await store.setRetained(retained("forever", 4));
    expect(await store.dropExpiredRetained(now)).toBe(2);
    expect(topicsOf(await store.listRetained())).toEqual(["forever", "later"]);
    expect((await store.retainedUsage()).count).toBe(2);
  });

  it("is not changed by mutating a retained message or a returned one", async () => {
    const store = await ctx.open();
    const message = retained("t");
    await store.setRetained(message);
    message.payload.fill(0);
    (await store.getRetained("t"))?.payload.fill(0);
    (await store.matchRetained("t"))[0]?.payload.fill(0);
    expect(plain(await store.getRetained("t"))).toEqual(retained("t"));
  });
}
