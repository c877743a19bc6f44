import { describe, expect, it } from "vitest";
import { type RetainedMessage, RetainedStore } from "../../src/core/retained.js";

const text = new TextEncoder();

function retained(topic: string, payload = "x", expiresAt?: number): RetainedMessage {
  return { topic, payload: text.encode(payload), qos: 0, properties: undefined, expiresAt };
}

const topics = (messages: RetainedMessage[]): string[] => messages.map((m) => m.topic).sort();

describe("the retained store", () => {
  it("keeps one message per topic, the last one set [MQTT-3.3.1-5]", () => {
    const store = new RetainedStore();
    store.set(retained("a/b", "one"));
    store.set(retained("a/b", "two"));
    expect(store.size).toBe(1);
    expect(new TextDecoder().decode(store.get("a/b")?.payload)).toBe("two");
    expect(store.byteSize).toBe(3 + 3); // topic and payload, as every store counts (storedMessageSize)
  });

  it("clears a topic on an empty payload and never stores the empty one [MQTT-3.3.1-10] [MQTT-3.3.1-11]", () => {
    const store = new RetainedStore();
    store.set(retained("a/b"));
    expect(store.set(retained("a/b", ""))).toBe(true);
    expect(store.get("a/b")).toBeUndefined();
    expect(store.size).toBe(0);
    expect([...store.entries()]).toEqual([]);
  });

  it("matches filters with + and # level by level, # also matching the parent level [MQTT-4.7.1-2]", () => {
    const store = new RetainedStore();
    for (const t of ["a", "a/b", "a/b/c", "a/x/c", "b/b"]) store.set(retained(t));
    expect(topics(store.match("a/#", 0))).toEqual(["a", "a/b", "a/b/c", "a/x/c"]);
    expect(topics(store.match("a/+/c", 0))).toEqual(["a/b/c", "a/x/c"]);
    expect(topics(store.match("+/b", 0))).toEqual(["a/b", "b/b"]);
    expect(topics(store.match("#", 0))).toEqual(["a", "a/b", "a/b/c", "a/x/c", "b/b"]);
    expect(topics(store.match("a/b", 0))).toEqual(["a/b"]);
  });

  it("does not match $ topics with a filter starting with a wildcard [MQTT-4.7.2-1]", () => {
    const store = new RetainedStore();
    store.set(retained("$SYS/uptime"));
    store.set(retained("plain"));
    expect(topics(store.match("#", 0))).toEqual(["plain"]);
    expect(topics(store.match("+/uptime", 0))).toEqual([]);
    expect(topics(store.match("$SYS/#", 0))).toEqual(["$SYS/uptime"]);
  });

  it("drops an expired message when a match reaches it instead of returning it (5.0 section 3.3.2.3.3)", () => {
    const store = new RetainedStore();
    store.set(retained("e/old", "x", 100));
    store.set(retained("e/new", "x", 1000));
    expect(topics(store.match("e/#", 500))).toEqual(["e/new"]);
    expect(store.get("e/old")).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it("matches a filter without wildcards by lookup as the search would: the topic itself, an expired one dropped", () => {
    const store = new RetainedStore();
    expect(store.match("a/b", 0)).toEqual([]);
    store.set(retained("a/b"));
    store.set(retained("a/b/c"));
    store.set(retained("e/old", "x", 100));
    expect(topics(store.match("a/b", 0))).toEqual(["a/b"]);
    expect(topics(store.match("a", 0))).toEqual([]);
    expect(topics(store.match("a/b/c/d", 0))).toEqual([]);
    expect(topics(store.match("e/old", 500))).toEqual([]);
    expect(store.get("e/old")).toBeUndefined();
    expect(store.size).toBe(2);
  });

  it("refuses a new topic over its default-overridable message bound but still replaces and clears", () => {
    const store = new RetainedStore(2);
    expect(store.set(retained("one"))).toBe(true);
    expect(store.set(retained("two"))).toBe(true);
    expect(store.set(retained("three"))).toBe(false);
    expect(store.get("three")).toBeUndefined();
    expect(store.set(retained("two", "again"))).toBe(true);
    expect(store.set(retained("one", ""))).toBe(true);
    expect(store.set(retained("three"))).toBe(true);
    expect(store.size).toBe(2);
  });

  it("refuses a message that would take it over its byte bound", () => {
    const store = new RetainedStore(100, 5);
    expect(store.set(retained("a", "1234"))).toBe(true);
    expect(store.set(retained("b/c", "12"))).toBe(false);
    expect(store.set(retained("a", "123456"))).toBe(false);
    expect(new TextDecoder().decode(store.get("a")?.payload)).toBe("1234");
    expect(topics([...store.entries()])).toEqual(["a"]);
  });

  it("keeps the broker's own $SYS/ messages outside the clients' bounds", () => {
    const store = new RetainedStore(2);
    expect(store.set(retained("$SYS/broker/version"))).toBe(true);
    expect(store.set(retained("one"))).toBe(true);
    expect(store.set(retained("two"))).toBe(true);
    expect(store.refusal(retained("three"))).toBe("count");
    expect(store.set(retained("three"))).toBe(false);
    expect(store.set(retained("$SYS/broker/uptime"))).toBe(true);
    expect([store.size, store.clientCount]).toEqual([4, 2]);
    // Clearing a $SYS topic frees nothing of the clients' room.
    expect(store.set(retained("$SYS/broker/version", ""))).toBe(true);
    expect(store.set(retained("three"))).toBe(false);
  });

  it("tells which bound would refuse a message without changing anything", () => {
    const store = new RetainedStore(100, 10);
    store.set(retained("a", "12345")); // 6 bytes
    expect(store.refusal(retained("b", "123"))).toBeUndefined(); // exactly 10
    expect(store.refusal(retained("b", "1234"))).toBe("bytes");
    expect(store.refusal(retained("a", "123456789"))).toBeUndefined(); // a replacement: 10
    expect(store.refusal(retained("a", ""))).toBeUndefined(); // a clear always works
    expect([store.size, store.byteSize]).toEqual([1, 6]);
  });

  it("has default bounds of 100,000 messages and 256 MiB", () => {
    const store = new RetainedStore();
    expect([store.maxMessages, store.maxBytes]).toEqual([100_000, 256 * 1024 * 1024]);
  });

  it("matches a topic deeper than the call stack without recursing (65,536 levels are legal)", () => {
    const store = new RetainedStore();
    const deep = Array.from({ length: 20_000 }, () => "l").join("/");
    store.set(retained(deep));
    expect(store.match("#", 0)).toHaveLength(1);
    expect(store.delete(deep)).toBe(true);
    expect(store.size).toBe(0);
  });
});
