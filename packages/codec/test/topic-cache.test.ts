import { describe, expect, it } from "vitest";
import { decodePacket, encode, MalformedPacketError, PacketType, type PublishPacket } from "../src/index.js";
import { TOPIC_CACHE_ENTRIES, TOPIC_CACHE_MAX_BYTES, topicCacheSize } from "../src/topic-cache.js";

const publish = (topic: string): Uint8Array =>
  encode(
    { type: PacketType.PUBLISH, topic, payload: new Uint8Array([1]), qos: 0, retain: false, dup: false },
    4,
  );

const topicOf = (bytes: Uint8Array): string => (decodePacket(bytes) as PublishPacket).topic;

describe("the topic cache of PUBLISH decoding", () => {
  it("gives the same topic for the same bytes, and a different one once the bytes differ", () => {
    for (const topic of ["a/b", "sensors/1/temp", "é/ü/中"]) {
      expect(topicOf(publish(topic))).toBe(topic);
      expect(topicOf(publish(topic))).toBe(topic);
    }
    expect(topicOf(publish("a/c"))).toBe("a/c");
  });

  it("keeps its own copy of the bytes: a received chunk reused afterwards does not change a cached topic", () => {
    const chunk = publish("room/1");
    expect(topicOf(chunk)).toBe("room/1");
    // The same memory now holds another topic of the same length ("room/2").
    chunk[chunk.length - 2] = "2".charCodeAt(0);
    expect(topicOf(chunk)).toBe("room/2");
    expect(topicOf(publish("room/1"))).toBe("room/1");
  });

  it("still refuses a topic with a wildcard [MQTT-3.3.2-2] and ill-formed UTF-8 [MQTT-1.5.3-1], cached or not", () => {
    for (let i = 0; i < 2; i++) {
      const wildcard = publish("a/b");
      wildcard[6] = "+".charCodeAt(0); // "a/b" -> "a/+" (the encoder refuses to write it)
      expect(() => decodePacket(wildcard)).toThrow(MalformedPacketError);
      const bad = publish("a/b");
      bad[4] = 0xff; // "a" -> an invalid UTF-8 byte
      expect(() => decodePacket(bad)).toThrow(MalformedPacketError);
    }
  });

  it(`holds at most ${TOPIC_CACHE_ENTRIES} topics of at most ${TOPIC_CACHE_MAX_BYTES} bytes, whatever it is fed`, () => {
    for (let i = 0; i < 20 * TOPIC_CACHE_ENTRIES; i++) expect(topicOf(publish(`t/${i}`))).toBe(`t/${i}`);
    expect(topicCacheSize()).toBeLessThanOrEqual(TOPIC_CACHE_ENTRIES);
    const long = "x".repeat(TOPIC_CACHE_MAX_BYTES + 1);
    expect(topicOf(publish(long))).toBe(long);
    expect(topicCacheSize()).toBeLessThanOrEqual(TOPIC_CACHE_ENTRIES);
  });
});
