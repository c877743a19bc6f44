import { PacketType, type SubackPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { connect5, mqtt5, nextMessages, ours, raw, startBroker, until } from "./harness.js";

// Flow control (section 4.9): Receive Maximum both ways.

describe("Receive Maximum advertised in CONNACK", () => {
  it.each([
    ["the default", {}, 100],
    ["receive_maximum: 7", { receive_maximum: 7 }, 7],
  ])(
    "is the configured value (%s) for our client and MQTT.js (section 3.2.2.3.3)",
    async (_, config, expected) => {
      const { port, url } = await startBroker(config);
      const c = await ours(port, { clientId: "rm-ours" });
      expect(c.session.state).toBe("connected");
      const connack = c.packets.find((p) => p.type === PacketType.CONNACK);
      expect(connack?.type === PacketType.CONNACK && connack.properties?.receiveMaximum).toBe(expected);
      const { connack: fromMqttJs } = await mqtt5(url, { clientId: "rm-mqttjs" });
      expect(fromMqttJs.properties?.receiveMaximum).toBe(expected);
    },
  );
});

describe("inbound flow control", () => {
  it("disconnects with 0x93 a client with more unacknowledged QoS 2 PUBLISH than the Receive Maximum (section 3.3.4, [MQTT-3.3.4-7])", async () => {
    const { port } = await startBroker({ receive_maximum: 3 });
    const c = await raw(port, connect5("greedy"));
    // QoS 2 flows stay open until PUBREL/PUBCOMP: never send the PUBREL.
    for (let id = 1; id <= 4; id++)
      c.send({
        type: PacketType.PUBLISH,
        topic: "rm/in",
        payload: new Uint8Array([id]),
        qos: 2,
        packetId: id,
      });
    const disconnect = await c.closedBy();
    expect(disconnect?.reasonCode).toBe(0x93);
  });

  it("accepts exactly Receive Maximum open QoS 2 flows and goes on serving the client", async () => {
    const { port } = await startBroker({ receive_maximum: 3 });
    const c = await raw(port, connect5("at-limit"));
    for (let id = 1; id <= 3; id++)
      c.send({
        type: PacketType.PUBLISH,
        topic: "rm/in",
        payload: new Uint8Array([id]),
        qos: 2,
        packetId: id,
      });
    const before = c.packets.length;
    c.send({ type: PacketType.PINGREQ });
    await c.next(PacketType.PINGRESP, before);
    expect(c.packets.filter((p) => p.type === PacketType.PUBREC)).toHaveLength(3);
    expect(c.isClosed()).toBe(false);
  });
});

describe("outbound flow control", () => {
  it("never has more unacknowledged QoS 1 and 2 PUBLISH out than the client's Receive Maximum [MQTT-3.3.4-9] [MQTT-4.9.0-2]", async () => {
    const { port, url } = await startBroker();
    const c = await raw(port, connect5("window2", { receiveMaximum: 2 }));
    c.send({
      type: PacketType.SUBSCRIBE,
      packetId: 1,
      subscriptions: [
        { topicFilter: "rm/q1", qos: 1 },
        { topicFilter: "rm/q2", qos: 2 },
      ],
    });
    await c.next(PacketType.SUBACK);
    const { client: pub } = await mqtt5(url);
    for (let i = 0; i < 3; i++) {
      await pub.publishAsync("rm/q1", `a${i}`, { qos: 1 });
      await pub.publishAsync("rm/q2", `b${i}`, { qos: 2 });
    }
    await until(() => c.publishes().length === 2);
    // A PINGREQ round trip: anything the broker had queued for us is on the wire by now.
    const mark = c.packets.length;
    c.send({ type: PacketType.PINGREQ });
    await c.next(PacketType.PINGRESP, mark);
    expect(c.publishes()).toHaveLength(2);
    // Completing one flow (PUBACK, or PUBREC+PUBREL+PUBCOMP) opens exactly one slot.
    const [first] = c.publishes();
    if (first!.qos === 1) c.send({ type: PacketType.PUBACK, packetId: first!.packetId! });
    else {
      c.send({ type: PacketType.PUBREC, packetId: first!.packetId! });
      await c.next(PacketType.PUBREL);
      c.send({ type: PacketType.PUBCOMP, packetId: first!.packetId! });
    }
    await until(() => c.publishes().length === 3);
    const mark2 = c.packets.length;
    c.send({ type: PacketType.PINGREQ });
    await c.next(PacketType.PINGRESP, mark2);
    expect(c.publishes()).toHaveLength(3);
  });

  it("keeps answering other packets while the client's window is full [MQTT-3.3.4-10] [MQTT-4.9.0-3]", async () => {
    const { port, url } = await startBroker();
    const c = await raw(port, connect5("window-full", { receiveMaximum: 1 }));
    c.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "rm/full", qos: 1 }] });
    await c.next(PacketType.SUBACK);
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("rm/full", "1", { qos: 1 });
    await pub.publishAsync("rm/full", "2", { qos: 1 });
    await until(() => c.publishes().length === 1);
    const mark = c.packets.length;
    c.send({ type: PacketType.SUBSCRIBE, packetId: 2, subscriptions: [{ topicFilter: "rm/other", qos: 0 }] });
    const suback = await c.next<SubackPacket>(PacketType.SUBACK, mark);
    expect([suback.packetId, suback.reasonCodes]).toEqual([2, [0]]);
    // QoS 0 is not held by the window.
    await pub.publishAsync("rm/other", "zero", { qos: 0 });
    await until(() => c.publishes().some((p) => p.topic === "rm/other"));
    expect(c.publishes().filter((p) => p.topic === "rm/full")).toHaveLength(1);
  });

  it.each([
    ["our client", "ours"],
    ["MQTT.js", "mqttjs"],
  ] as const)("delivers everything, in order, through a window of 1 to %s [MQTT-4.6.0-6]", async (_, who) => {
    const { port, url } = await startBroker();
    const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
    let received: Promise<string[]>;
    if (who === "ours") {
      const c = await ours(port, { clientId: "w1-ours" }, { receiveMaximum: 1 });
      await c.subscribe([{ topicFilter: "rm/order", qos: 1 }]);
      received = c.nextMessages(sent.length).then((ms) => ms.map((m) => new TextDecoder().decode(m.payload)));
    } else {
      const { client } = await mqtt5(url, { clientId: "w1-mqttjs", properties: { receiveMaximum: 1 } });
      await client.subscribeAsync("rm/order", { qos: 1 });
      received = nextMessages(client, sent.length).then((ms) => ms.map(([, p]) => p));
    }
    const { client: pub } = await mqtt5(url);
    for (const m of sent) pub.publish("rm/order", m, { qos: 1 });
    expect(await received).toEqual(sent);
  });
});
