// SUBSCRIBE/UNSUBSCRIBE answers and retained delivery, over the memory harness.
import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";

const text = new TextEncoder();

describe("subscriptions", () => {
  it("answer each filter of a SUBSCRIBE with its granted QoS, in order [MQTT-3.8.4-7] [MQTT-3.9.3-1]", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "s-order", {}, { version: 4 });
    peer.send({
      type: PacketType.SUBSCRIBE,
      packetId: 5,
      subscriptions: [
        { topicFilter: "a", qos: 2 },
        { topicFilter: "b", qos: 0 },
        { topicFilter: "c", qos: 1 },
      ],
    });
    const suback = await peer.expect("suback");
    expect(suback.packetId).toBe(5);
    expect(suback.reasonCodes).toEqual([
      ReasonCode.GRANTED_QOS_2,
      ReasonCode.GRANTED_QOS_0,
      ReasonCode.GRANTED_QOS_1,
    ]);
  });

  it("answer UNSUBSCRIBE with No Subscription Existed for an unknown filter in 5.0 [MQTT-3.11.3-1]", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "s-unsub");
    peer.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "k", qos: 0 }] });
    await peer.expect("suback");
    peer.send({ type: PacketType.UNSUBSCRIBE, packetId: 2, topicFilters: ["k", "never"] });
    const unsuback = await peer.expect("unsuback");
    expect(unsuback.reasonCodes).toEqual([ReasonCode.SUCCESS, ReasonCode.NO_SUBSCRIPTION_EXISTED]);
  });

  it("send the retained message with RETAIN set to a new subscription [MQTT-3.3.1-6] [MQTT-3.3.1-8]", async () => {
    const broker = await startMemoryBroker();
    const { peer: pub } = await MqttPeer.connected(broker, "s-retainer");
    pub.send({
      type: PacketType.PUBLISH,
      dup: false,
      topic: "r/t",
      qos: 1,
      packetId: 1,
      retain: true,
      payload: text.encode("kept"),
    });
    await pub.expect("puback");
    const { peer } = await MqttPeer.connected(broker, "s-late");
    peer.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "r/#", qos: 1 }] });
    await peer.expect("suback");
    const got = await peer.expect("publish");
    expect([got.topic, got.retain, new TextDecoder().decode(got.payload)]).toEqual(["r/t", true, "kept"]);
  });

  it("send no retained message with Retain Handling 2 [MQTT-3.3.1-11]", async () => {
    const broker = await startMemoryBroker();
    const { peer: pub } = await MqttPeer.connected(broker, "s-retainer2");
    pub.send({
      type: PacketType.PUBLISH,
      dup: false,
      topic: "r2/t",
      qos: 1,
      packetId: 1,
      retain: true,
      payload: text.encode("kept"),
    });
    await pub.expect("puback");
    const { peer } = await MqttPeer.connected(broker, "s-never");
    peer.send({
      type: PacketType.SUBSCRIBE,
      packetId: 1,
      subscriptions: [{ topicFilter: "r2/#", qos: 1, retainHandling: 2 }],
    });
    await peer.expect("suback");
    // The next packet after SUBACK is the PINGRESP: no retained PUBLISH came between.
    peer.send({ type: PacketType.PINGREQ });
    await peer.expect("pingresp");
  });
});
