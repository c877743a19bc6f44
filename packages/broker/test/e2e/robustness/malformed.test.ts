import { encode, PacketType, type ProtocolVersion } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { startBroker } from "../tcp.js";
import { bystanders, RawClient } from "./raw-client.js";

const text = (s: string): number[] => [...Buffer.from(s, "latin1")];

/** A PUBLISH QoS 0 built by hand, so the topic bytes can be anything (the encoder would refuse them). */
function rawPublish(topicBytes: number[], version: ProtocolVersion): number[] {
  const body = [
    topicBytes.length >> 8,
    topicBytes.length & 0xff,
    ...topicBytes,
    ...(version === 5 ? [0] : []),
    ...text("x"),
  ];
  return [0x30, body.length, ...body];
}

function connectBytes(version: ProtocolVersion, clientId: string): Uint8Array {
  return encode(
    { type: PacketType.CONNECT, protocolVersion: version, clean: true, keepAlive: 0, clientId },
    version,
  );
}

/**
 * After CONNACK 0: 3.1.1 closes without a word; 5.0 sends DISCONNECT with
 * `code` and then closes [MQTT-4.13.1-1].
 */
async function expectRejected(raw: RawClient, version: ProtocolVersion, codes: number[]): Promise<void> {
  await raw.waitClosed();
  const after = raw.packets.filter((p) => p.type !== PacketType.CONNACK);
  if (version === 4) {
    expect(after).toEqual([]);
    return;
  }
  expect(after.map((p) => p.type)).toEqual([PacketType.DISCONNECT]);
  const disconnect = after[0] as { reasonCode?: number };
  expect(codes).toContain(disconnect.reasonCode);
}

describe.each([4, 5] as const)("a malformed packet from one client, MQTT level %i", (version) => {
  const v5 = version === 5;

  it(`with reserved fixed-header flags (SUBSCRIBE flags 0000) is refused ${v5 ? "[MQTT-2.1.3-1] with DISCONNECT 0x81" : "by a close [MQTT-2.2.2-2]"}, and another client keeps publishing and receiving`, async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    const raw = await RawClient.connected(port, version, "bad-flags");
    const subscribe = encode(
      { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "a", qos: 0 }] },
      version,
    );
    subscribe[0] = 0x80; // the reserved bits must be 0010
    raw.write(subscribe);
    await expectRejected(raw, version, [0x81]);
    await others.roundTrip("after");
  });

  it(`with ill-formed UTF-8 in a topic name is refused ${v5 ? "[MQTT-1.5.4-1] with DISCONNECT 0x81" : "by a close [MQTT-1.5.3-1]"}, and another client keeps publishing and receiving`, async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    const raw = await RawClient.connected(port, version, "bad-utf8");
    // "a" then a UTF-16 surrogate (U+D800) encoded as UTF-8: never allowed.
    raw.write(rawPublish([0x61, 0xed, 0xa0, 0x80], version));
    await expectRejected(raw, version, [0x81]);
    await others.roundTrip("after");
  });

  it(`with a remaining length longer than 4 bytes is refused ${v5 ? "with DISCONNECT 0x81" : "by a close"} [${v5 ? "MQTT-4.13.1-1" : "MQTT-4.8.0-1"}], and another client keeps publishing and receiving`, async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    const raw = await RawClient.connected(port, version, "bad-length");
    raw.write([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    await expectRejected(raw, version, [0x81]);
    await others.roundTrip("after");
  });

  it(`PUBLISH with a wildcard in its topic name is refused [MQTT-3.3.2-2] ${v5 ? "with DISCONNECT (0x81 Malformed or 0x90 Topic Name invalid)" : "by a close"}, and nobody receives it`, async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    const seen: string[] = [];
    await others.sub.subscribeAsync("#", { qos: 1 });
    others.sub.on("message", (topic) => seen.push(topic));
    const raw = await RawClient.connected(port, version, "bad-topic");
    raw.write(rawPublish(text("a/#"), version));
    raw.write(rawPublish(text("a/+/b"), version));
    await expectRejected(raw, version, [0x81, 0x82, 0x90]);
    await others.roundTrip("after");
    expect(seen.filter((t) => t.startsWith("a/"))).toEqual([]);
  });

  it(`a second CONNECT is a protocol violation [MQTT-3.1.0-2] ${v5 ? "answered by DISCONNECT 0x82" : "answered by a close"}, and another client keeps publishing and receiving`, async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    const raw = await RawClient.connected(port, version, "twice");
    raw.write(connectBytes(version, "twice"));
    await expectRejected(raw, version, [0x82]);
    expect(raw.packets.filter((p) => p.type === PacketType.CONNACK)).toHaveLength(1);
    await others.roundTrip("after");
  });

  it("a packet before CONNECT closes the connection with no CONNACK and no DISCONNECT [MQTT-3.1.0-1] [MQTT-3.14.0-1], and another client keeps publishing and receiving", async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    const raw = await RawClient.open(port, version);
    raw.write(encode({ type: PacketType.PINGREQ }, version));
    await raw.waitClosed();
    expect(raw.packets).toEqual([]);
    await others.roundTrip("after");
  });

  it(`a malformed CONNECT (reserved connect flag set) is closed without a successful CONNACK [MQTT-3.1.4-1] [MQTT-3.1.2-3], and another client keeps publishing and receiving`, async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    const raw = await RawClient.open(port, version);
    const connect = connectBytes(version, "bad-connect");
    // Fixed header (2) + protocol name (6) + level (1): the connect flags byte.
    connect[9]! |= 0x01;
    raw.write(connect);
    await raw.waitClosed();
    if (v5) {
      // 5.0 allows a CONNACK with a failure code (0x80 and up) before the close.
      for (const p of raw.packets) {
        expect(p.type).toBe(PacketType.CONNACK);
        expect((p as { reasonCode: number }).reasonCode).toBeGreaterThanOrEqual(0x80);
      }
    } else expect(raw.packets).toEqual([]);
    await others.roundTrip("after");
  });
});
