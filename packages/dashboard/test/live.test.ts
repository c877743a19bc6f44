import { describe, expect, it } from "vitest";
import { defaultLiveCapacity, LiveFeed, LiveFrameError, parseLiveFrame } from "../app/src/lib/live.ts";

const frame = (topic: string) =>
  JSON.stringify({ topic, qos: 1, retain: false, payload: "x", encoding: "utf8", time: 1 });

describe("parseLiveFrame", () => {
  it("reads a message frame and a drop notice", () => {
    expect(parseLiveFrame(frame("a/b"))).toEqual({
      kind: "message",
      message: { topic: "a/b", qos: 1, retain: false, payload: "x", encoding: "utf8", time: 1 },
    });
    expect(parseLiveFrame('{"dropped":7}')).toEqual({ kind: "dropped", count: 7 });
  });

  it.each(["not json", "42", "null", '{"payload":"x"}', '{"topic":"a"}'])(
    "refuses %s with LiveFrameError",
    (data) => {
      expect(() => parseLiveFrame(data)).toThrow(LiveFrameError);
    },
  );
});

describe("LiveFeed", () => {
  it("keeps 500 messages by default, newest first, and counts the ones let go", () => {
    expect(defaultLiveCapacity).toBe(500);
    const feed = new LiveFeed();
    for (let i = 0; i < 520; i++) feed.apply(parseLiveFrame(frame(`t/${i}`)));
    expect(feed.messages).toHaveLength(500);
    expect(feed.messages[0]?.topic).toBe("t/519");
    expect(feed.messages[499]?.topic).toBe("t/20");
    expect(feed.evicted).toBe(20);
    expect(feed.received).toBe(520);
  });

  it("adds the server's drop counts apart from its own evictions", () => {
    const feed = new LiveFeed(2);
    feed.apply({ kind: "dropped", count: 3 });
    feed.apply({ kind: "dropped", count: 4 });
    expect(feed.serverDropped).toBe(7);
    expect(feed.evicted).toBe(0);
    expect(feed.messages).toHaveLength(0);
  });

  it("gives a new array on each message (the view compares by identity) and empties on clear", () => {
    const feed = new LiveFeed(3);
    const before = feed.messages;
    feed.apply(parseLiveFrame(frame("a")));
    expect(feed.messages).not.toBe(before);
    feed.clear();
    expect(feed.messages).toHaveLength(0);
    expect(feed.received).toBe(0);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new LiveFeed(0)).toThrow(RangeError);
  });
});
