import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { connect5, mosquittoSub, mqtt5, nextMessages, ours, raw, startBroker, str } from "./harness.js";

// Maximum Packet Size (sections 3.1.2.11.4 and 3.2.2.3.6) in both directions.

describe("Maximum Packet Size of the broker", () => {
  it("is advertised in CONNACK from max_packet_size (section 3.2.2.3.6)", async () => {
    const { url } = await startBroker({ max_packet_size: 4096 });
    const { connack } = await mqtt5(url);
    expect(connack.properties?.maximumPacketSize).toBe(4096);
  });

  it("disconnects with 0x95 Packet too large a client that sends a bigger packet (section 3.2.2.3.6, [MQTT-3.2.2-15])", async () => {
    const { port, url } = await startBroker({ max_packet_size: 1024 });
    const { client: watcher } = await mqtt5(url);
    await watcher.subscribeAsync("mps/#");
    const c = await raw(port, connect5("too-big"));
    c.send({ type: PacketType.PUBLISH, topic: "mps/big", payload: new Uint8Array(2000), qos: 0 });
    expect((await c.closedBy())?.reasonCode).toBe(0x95);
    // Nothing of it was routed, and other clients go on: a small message still flows.
    const got = nextMessages(watcher, 1);
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("mps/small", "ok", { qos: 1 });
    expect((await got).map(([t, p]) => `${t}=${p}`)).toEqual(["mps/small=ok"]);
  });
});

describe("Maximum Packet Size of a client", () => {
  it.each([
    ["our client", "ours"],
    ["MQTT.js", "mqttjs"],
    ["mosquitto_sub -D CONNECT maximum-packet-size", "mosquitto"],
  ] as const)(
    "drops a message too large for %s, for that client only, and goes on with the next [MQTT-3.1.2-24] [MQTT-3.1.2-25]",
    async (_, who) => {
      const { broker, port, url } = await startBroker();
      const limit = 200;
      let small: Promise<string[]>;
      if (who === "ours") {
        const c = await ours(port, { clientId: "small-ours" }, { maximumPacketSize: limit });
        await c.subscribe([{ topicFilter: "mps/c/#", qos: 1 }]);
        small = c.nextMessages(1).then((ms) => ms.map((m) => `${m.topic}=${str(m.payload)}`));
      } else if (who === "mqttjs") {
        const { client } = await mqtt5(url, {
          clientId: "small-mqttjs",
          properties: { maximumPacketSize: limit },
        });
        await client.subscribeAsync("mps/c/#", { qos: 1 });
        small = nextMessages(client, 1).then((ms) => ms.map(([t, p]) => `${t}=${p}`));
      } else {
        const sub = mosquittoSub(
          broker,
          port,
          "small-mosquitto",
          ["-t", "mps/c/#", "-q", "1", "-v", "-D", "CONNECT", "maximum-packet-size", String(limit)],
          1,
        );
        await sub.ready;
        small = sub.lines.then((lines) => lines.map((l) => l.replace(" ", "=")));
      }
      const { client: big } = await mqtt5(url);
      await big.subscribeAsync("mps/c/#", { qos: 1 });
      const bigGot = nextMessages(big, 2);
      const { client: pub } = await mqtt5(url);
      await pub.publishAsync("mps/c/t", "x".repeat(500), { qos: 1 });
      await pub.publishAsync("mps/c/t", "fits", { qos: 1 });
      expect((await bigGot).map(([, p]) => p.length)).toEqual([500, 4]);
      expect(await small).toEqual(["mps/c/t=fits"]);
    },
  );

  it("never sends our client a packet above its limit, whatever the QoS of the dropped message [MQTT-3.1.2-24]", async () => {
    const { port, url } = await startBroker();
    const c = await ours(port, { clientId: "limit-all-qos" }, { maximumPacketSize: 128 });
    await c.subscribe([{ topicFilter: "mps/q/#", qos: 2 }]);
    const { client: pub } = await mqtt5(url);
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`mps/q/${qos}`, "y".repeat(300), { qos });
    await pub.publishAsync("mps/q/end", "end", { qos: 1 });
    const [only] = await c.nextMessages(1);
    expect(only?.topic).toBe("mps/q/end");
    expect(c.events.some((a) => a.kind === "protocolError")).toBe(false);
  });
});
