import { PacketType, type PublishPacket, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { InboundTopicAliases, OutboundTopicAliases } from "../src/index.js";
import { bytes, connected, wire } from "./helpers.js";

const publish = (topic: string, alias?: number): PublishPacket => ({
  type: PacketType.PUBLISH,
  topic,
  payload: bytes("p"),
  qos: 0,
  retain: false,
  dup: false,
  ...(alias === undefined ? {} : { properties: { topicAlias: alias } }),
});

describe("topic aliases (5.0)", () => {
  it("sends the topic with a new alias first, then an empty topic with the alias", () => {
    const p = connected(5);
    for (let i = 0; i < 3; i++)
      p.onServer((s, now) => s.deliver({ topic: "long/topic/name", payload: bytes(`${i}`), qos: 0 }, now));
    const sent = p.packets("server").filter((x): x is PublishPacket => x.type === PacketType.PUBLISH);
    expect(sent.map((x) => [x.topic, x.properties?.topicAlias])).toEqual([
      ["long/topic/name", 1],
      ["", 1],
      ["", 1],
    ]);
    expect(p.events("client", "message").map((m) => m.topic)).toEqual([
      "long/topic/name",
      "long/topic/name",
      "long/topic/name",
    ]);
    expect(p.events("client", "message")[1]?.properties?.topicAlias).toBeUndefined();
  });

  it("never uses more aliases than the peer's Topic Alias Maximum [MQTT-3.3.2-11] [MQTT-3.3.2-9]", () => {
    const p = connected(5, { client: { topicAliasMaximum: 2 }, server: { topicAliasMaximum: 1 } });
    for (const t of ["a", "b", "c", "a"]) {
      p.onServer((s, now) => s.deliver({ topic: t, payload: bytes(""), qos: 0 }, now));
      p.onClient((c, now) => c.publish({ topic: t, payload: bytes(""), qos: 0 }, now));
    }
    const down = p.packets("server").filter((x): x is PublishPacket => x.type === PacketType.PUBLISH);
    expect(Math.max(...down.map((x) => x.properties?.topicAlias ?? 0))).toBe(2);
    const up = p.packets("client").filter((x): x is PublishPacket => x.type === PacketType.PUBLISH);
    expect(Math.max(...up.map((x) => x.properties?.topicAlias ?? 0))).toBe(1);
    expect(p.events("server", "message").map((m) => m.topic)).toEqual(["a", "b", "c", "a"]);
    expect(p.events("client", "message").map((m) => m.topic)).toEqual(["a", "b", "c", "a"]);
  });

  it("sends no aliases when the peer's Topic Alias Maximum is 0 [MQTT-3.1.2-27] [MQTT-3.2.2-18]", () => {
    const p = connected(5, { client: { topicAliasMaximum: 0 }, server: { topicAliasMaximum: 0 } });
    p.onServer((s, now) => s.deliver({ topic: "a", payload: bytes(""), qos: 0 }, now));
    p.onClient((c, now) => c.publish({ topic: "a", payload: bytes(""), qos: 0 }, now));
    for (const side of ["client", "server"] as const) {
      const sent = p.packets(side).filter((x): x is PublishPacket => x.type === PacketType.PUBLISH);
      expect(sent[0]?.properties?.topicAlias).toBeUndefined();
    }
  });

  it("disconnects with 0x94 on an alias above our maximum", () => {
    const p = connected(5, { server: { topicAliasMaximum: 3 } });
    p.inject("server", wire(publish("t", 4), 5));
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.TOPIC_ALIAS_INVALID,
    });
  });

  it("disconnects with 0x94 on alias 0 [MQTT-3.3.2-8]", () => {
    const p = connected(5);
    // Hand-made bytes: the encoder refuses alias 0. PUBLISH "t", properties length 3, 0x23 0x0000.
    p.inject("server", new Uint8Array([0x30, 7, 0, 1, 0x74, 3, 0x23, 0, 0]));
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.TOPIC_ALIAS_INVALID,
    });
  });

  it("disconnects with 0x82 on an unknown alias with an empty topic", () => {
    const p = connected(5);
    p.inject("server", wire(publish("", 2), 5));
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.PROTOCOL_ERROR,
    });
  });

  it("forgets inbound aliases on a new connection [MQTT-3.3.2-7]", () => {
    const first = connected(5);
    first.inject("server", wire(publish("t", 1), 5));
    expect(first.events("server", "message")).toHaveLength(1);
    const second = connected(5);
    second.inject("server", wire(publish("", 1), 5));
    expect(second.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.PROTOCOL_ERROR,
    });
  });

  it("lets the peer remap an alias to a new topic", () => {
    const p = connected(5);
    p.inject("server", wire(publish("a", 1), 5));
    p.inject("server", wire(publish("b", 1), 5));
    p.inject("server", wire(publish("", 1), 5));
    expect(p.events("server", "message").map((m) => m.topic)).toEqual(["a", "b", "b"]);
  });

  it("reuses the least recently used alias when the LRU is full", () => {
    const out = new OutboundTopicAliases(2);
    expect(out.assign("a")).toEqual({ topic: "a", alias: 1 });
    expect(out.assign("b")).toEqual({ topic: "b", alias: 2 });
    expect(out.assign("a")).toEqual({ topic: "", alias: 1 });
    expect(out.assign("c")).toEqual({ topic: "c", alias: 2 });
    expect(out.assign("b")).toEqual({ topic: "b", alias: 1 });
    expect(out.size).toBe(2);
  });

  it("caps outbound aliases at maxOutboundTopicAliases whatever the peer allows", () => {
    const out = new OutboundTopicAliases(65_535, 3);
    for (let i = 0; i < 100; i++) out.assign(`t${i}`);
    expect(out.size).toBe(3);
    expect(out.limit).toBe(3);
  });

  it("resolves inbound aliases only within 1..maximum", () => {
    const inbound = new InboundTopicAliases(2);
    expect(inbound.resolve("x", 2)).toBe("x");
    expect(inbound.resolve("", 2)).toBe("x");
    expect(inbound.resolve("x", 3)).toMatchObject({ reasonCode: ReasonCode.TOPIC_ALIAS_INVALID });
    expect(new InboundTopicAliases(0).resolve("x", 1)).toMatchObject({
      reasonCode: ReasonCode.TOPIC_ALIAS_INVALID,
    });
  });
});
