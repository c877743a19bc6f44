import { PacketType, ReasonCode } from "@amqtt/codec";
import { memoryPair } from "@amqtt/transport-memory";
import { describe, expect, it } from "vitest";
import { MqttPeer, startMemoryBroker, UndecodableBytesError } from "./peer.js";

const text = new TextEncoder();

describe("the memory peer harness", () => {
  it("starts a broker that listens on no port: peers reach it only through handle()", async () => {
    const broker = await startMemoryBroker();
    expect(broker.addresses()).toEqual([]);
  });

  it("connects through broker.handle() and reads CONNACK [MQTT-3.2.0-1]", async () => {
    const broker = await startMemoryBroker();
    const { connack } = await MqttPeer.connected(broker, "harness-a");
    expect(connack.reasonCode).toBe(ReasonCode.SUCCESS);
    expect(connack.sessionPresent).toBe(false);
  });

  it("routes a QoS 1 PUBLISH between two peers and acknowledges it [MQTT-4.3.2-1]", async () => {
    const broker = await startMemoryBroker();
    const { peer: sub } = await MqttPeer.connected(broker, "harness-sub");
    sub.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "h/+", qos: 1 }] });
    expect((await sub.expect("suback")).reasonCodes).toEqual([ReasonCode.GRANTED_QOS_1]);
    const { peer: pub } = await MqttPeer.connected(broker, "harness-pub");
    pub.send({
      type: PacketType.PUBLISH,
      dup: false,
      retain: false,
      topic: "h/1",
      qos: 1,
      packetId: 7,
      payload: text.encode("hi"),
    });
    expect((await pub.expect("puback")).packetId).toBe(7);
    const delivered = await sub.expect("publish");
    expect([delivered.topic, delivered.qos, new TextDecoder().decode(delivered.payload)]).toEqual([
      "h/1",
      1,
      "hi",
    ]);
  });

  it("fails a step that expects one packet type when the broker sends another", async () => {
    const broker = await startMemoryBroker();
    const peer = MqttPeer.open(broker);
    peer.connect("harness-wrong");
    await expect(peer.expect("suback")).rejects.toThrow(/expected SUBACK, got CONNACK/);
  });

  it("sees the broker close the connection on a second CONNECT [MQTT-3.1.0-2]", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "harness-twice", {}, { version: 4 });
    peer.connect("harness-twice");
    await peer.expectClosed();
  });

  it("records bytes it cannot decode as an UndecodableBytesError that fails the next step", async () => {
    const [ours, theirs] = memoryPair();
    const peer = MqttPeer.attach(ours);
    // Packet type 0 is reserved [MQTT-2.1.3-1]: no decoder may accept it.
    theirs.send(Uint8Array.of(0x00, 0x00));
    const failure = await peer.next().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UndecodableBytesError);
    // Clear it so this test's own cleanup does not fail on the error it provoked on purpose.
    peer.decodeError = undefined;
    theirs.abort();
  });
});
