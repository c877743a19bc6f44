import { PacketType, ReasonCode } from "@amqtt/codec";
import { memoryPair } from "@amqtt/transport-memory";
import { describe, expect, it } from "vitest";
import { disconnected } from "./events.js";
import { MqttPeer, startMemoryBroker, UndecodableBytesError } from "./peer.js";
import { publish, receiveAll, settled, subscribe } from "./steps.js";

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

  it("receiveAll takes what was routed before the PINGRESP, acknowledging QoS 1, and no more", async () => {
    const broker = await startMemoryBroker();
    const { peer: sub } = await MqttPeer.connected(broker, "harness-all-sub");
    await subscribe(sub, { "all/#": 1 });
    const { peer: pub } = await MqttPeer.connected(broker, "harness-all-pub");
    await publish(pub, "all/1", "a", { qos: 1 });
    await publish(pub, "all/2", "b", { qos: 0 });
    await settled(pub); // the QoS 0 message has no PUBACK of its own
    // Whatever came after the PINGRESP is read by the next call; the QoS 1 copy was acknowledged.
    expect((await receiveAll(sub)).map(([t, p, pkt]) => [t, p, pkt.qos])).toEqual([
      ["all/1", "a", 1],
      ["all/2", "b", 0],
    ]);
    expect(await receiveAll(sub)).toEqual([]);
    expect(broker.sessions.get("harness-all-sub")?.online).toBe(true);
  });

  it("fails an until() step when the connection closes before the condition holds", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "harness-until", {}, { version: 4 });
    peer.connect("harness-until"); // a second CONNECT: the broker closes the connection [MQTT-3.1.0-2]
    await expect(peer.until(() => peer.publishes().length > 0, "a PUBLISH")).rejects.toThrow(
      /the connection closed before a PUBLISH/,
    );
  });

  it("fails disconnect() when the broker sent packets the script never read", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "harness-unread", {}, { version: 4 });
    peer.send({ type: PacketType.PINGREQ });
    await peer.until(() => peer.received.length === 2, "the PINGRESP");
    await expect(peer.disconnect()).rejects.toThrow(/closed with unread packets: PINGRESP/);
  });

  it("sees the broker handle a dropped connection through its clientDisconnected event", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "harness-drop");
    const gone = disconnected(broker, "harness-drop");
    peer.drop();
    await gone;
    expect(broker.stats().clientsConnected).toBe(0);
  });
});
