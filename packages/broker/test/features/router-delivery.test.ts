// The router's delivery rules, driven over the memory harness (no socket).
import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";

const text = new TextEncoder();
const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

async function subscriber(
  broker: Awaited<ReturnType<typeof startMemoryBroker>>,
  id: string,
  ...filters: [string, 0 | 1 | 2][]
) {
  const { peer } = await MqttPeer.connected(broker, id);
  peer.send({
    type: PacketType.SUBSCRIBE,
    packetId: 1,
    subscriptions: filters.map(([topicFilter, qos]) => ({ topicFilter, qos })),
  });
  await peer.expect("suback");
  return peer;
}

describe("the router", () => {
  it("delivers at the lower of the published and the granted QoS [MQTT-3.8.4-8]", async () => {
    const broker = await startMemoryBroker();
    const sub = await subscriber(broker, "r-low", ["q/#", 0]);
    const { peer: pub } = await MqttPeer.connected(broker, "r-pub");
    pub.send({
      type: PacketType.PUBLISH,
      dup: false,
      retain: false,
      topic: "q/1",
      qos: 1,
      packetId: 3,
      payload: text.encode("m"),
    });
    await pub.expect("puback");
    const got = await sub.expect("publish");
    expect([got.topic, got.qos, got.packetId]).toEqual(["q/1", 0, undefined]);
  });

  it("sends one copy to a client whose overlapping filters both match, at the highest QoS [MQTT-3.3.4-2]", async () => {
    const broker = await startMemoryBroker();
    const sub = await subscriber(broker, "r-overlap", ["o/+", 0], ["o/#", 1]);
    const { peer: pub } = await MqttPeer.connected(broker, "r-pub2");
    pub.send({
      type: PacketType.PUBLISH,
      dup: false,
      retain: false,
      topic: "o/x",
      qos: 1,
      packetId: 1,
      payload: text.encode("once"),
    });
    await pub.expect("puback");
    pub.send({
      type: PacketType.PUBLISH,
      dup: false,
      retain: false,
      topic: "o/x",
      qos: 0,
      payload: text.encode("marker"),
    });
    const first = await sub.expect("publish");
    expect([utf8(first.payload), first.qos]).toEqual(["once", 1]);
    // The next packet is the marker, so the first message came only once.
    const second = await sub.expect("publish");
    expect(utf8(second.payload)).toBe("marker");
  });

  it("does not send a client its own message back on a No Local subscription [MQTT-3.8.3-3]", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "r-nolocal");
    peer.send({
      type: PacketType.SUBSCRIBE,
      packetId: 1,
      subscriptions: [{ topicFilter: "n/#", qos: 0, noLocal: true }],
    });
    await peer.expect("suback");
    const other = await subscriber(broker, "r-watch", ["n/#", 0]);
    peer.send({
      type: PacketType.PUBLISH,
      dup: false,
      retain: false,
      topic: "n/1",
      qos: 0,
      payload: text.encode("mine"),
    });
    expect(utf8((await other.expect("publish")).payload)).toBe("mine");
    // A PINGREQ answered proves the broker processed the PUBLISH without sending it back.
    peer.send({ type: PacketType.PINGREQ });
    await peer.expect("pingresp");
  });

  it("acknowledges a QoS 1 PUBLISH nobody subscribed to with Success or No Matching Subscribers (5.0 section 3.4.2.1)", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "r-nobody");
    peer.send({
      type: PacketType.PUBLISH,
      dup: false,
      retain: false,
      topic: "nobody/here",
      qos: 1,
      packetId: 9,
      payload: text.encode("x"),
    });
    const ack = await peer.expect("puback");
    expect(ack.packetId).toBe(9);
    // The server MAY say No Matching Subscribers instead of Success; nothing else is right here.
    expect([ReasonCode.SUCCESS, ReasonCode.NO_MATCHING_SUBSCRIBERS]).toContain(
      ack.reasonCode ?? ReasonCode.SUCCESS,
    );
  });

  it("gives a message on a shared subscription to one member of the group [MQTT-4.8.2-1]", async () => {
    const broker = await startMemoryBroker();
    const a = await subscriber(broker, "r-share-a", ["$share/g/s/#", 0]);
    const b = await subscriber(broker, "r-share-b", ["$share/g/s/#", 0]);
    const { peer: pub } = await MqttPeer.connected(broker, "r-share-pub");
    for (let i = 0; i < 4; i++)
      pub.send({
        type: PacketType.PUBLISH,
        dup: false,
        retain: false,
        topic: "s/1",
        qos: 0,
        payload: text.encode(`${i}`),
      });
    // Round-robin (the default strategy): two each, none twice.
    const got = [await a.next(), await b.next(), await a.next(), await b.next()];
    const payloads = got.map((p) => (p.type === PacketType.PUBLISH ? utf8(p.payload) : "not a publish"));
    expect(payloads.sort()).toEqual(["0", "1", "2", "3"]);
  });
});
