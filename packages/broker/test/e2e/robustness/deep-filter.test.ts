import { PacketType, type ProtocolVersion } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { startBroker } from "../tcp.js";
import { bystanders, RawClient } from "./raw-client.js";

// A topic filter is at most 65535 bytes [MQTT-4.7.3-3], so these are the deepest filters there are.
/** 65536 empty levels. */
const SLASHES = "/".repeat(65_535);
/** 32768 single-level wildcards. */
const PLUSES = `${"+/".repeat(32_767)}+`;
/** A topic name those wildcards match: 32768 levels. */
const DEEP_TOPIC = `${"a/".repeat(32_767)}a`;

/** Publish a retained QoS 1 message on `topic` from a raw client, and await its PUBACK. */
async function publishRetained(port: number, version: ProtocolVersion, topic: string): Promise<void> {
  const publisher = await RawClient.connected(port, version, "deep-pub");
  publisher.send(
    {
      type: PacketType.PUBLISH,
      topic,
      payload: new Uint8Array([1]),
      qos: 1,
      packetId: 1,
      retain: true,
      dup: false,
    },
    version,
  );
  await publisher.next(PacketType.PUBACK);
}

describe.each([4, 5] as const)("the deepest possible topic filters, MQTT level %i", (version) => {
  it.each([
    ["65536 empty levels", SLASHES, SLASHES],
    ["32768 '+' levels", PLUSES, DEEP_TOPIC],
  ])(
    "a SUBSCRIBE with %s is granted or refused without stalling the broker, and a matching PUBLISH is delivered if granted",
    async (_name, filter, topic) => {
      const { port, url } = await startBroker();
      const others = await bystanders(url);
      const deep = await RawClient.connected(port, version, "deep");
      deep.send(
        { type: PacketType.SUBSCRIBE, packetId: 7, subscriptions: [{ topicFilter: filter, qos: 0 }] },
        version,
      );
      const suback = await deep.next(PacketType.SUBACK);
      expect(suback.packetId).toBe(7);
      const [code] = suback.reasonCodes;
      await others.roundTrip("after-subscribe");
      const publisher = await RawClient.connected(port, version, "deep-pub");
      publisher.send(
        { type: PacketType.PUBLISH, topic, payload: new Uint8Array([42]), qos: 0, retain: false, dup: false },
        version,
      );
      if (code! < 0x80) {
        const message = await deep.next(PacketType.PUBLISH);
        expect(message.topic).toBe(topic);
      }
      await others.roundTrip("after-publish");
      deep.send({ type: PacketType.UNSUBSCRIBE, packetId: 8, topicFilters: [filter] }, version);
      expect((await deep.next(PacketType.UNSUBACK)).packetId).toBe(8);
      expect(deep.socket.destroyed).toBe(false);
    },
  );

  it("a retained message on a 32768-level topic is delivered to a 32768-level wildcard subscription, and the subscriber stays connected", async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    await publishRetained(port, version, DEEP_TOPIC);
    const deep = await RawClient.connected(port, version, "deep");
    deep.send(
      { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: PLUSES, qos: 0 }] },
      version,
    );
    const [code] = (await deep.next(PacketType.SUBACK)).reasonCodes;
    if (code! < 0x80) {
      const retained = await deep.next(PacketType.PUBLISH);
      expect(retained).toMatchObject({ topic: DEEP_TOPIC, retain: true });
    }
    await others.roundTrip("after");
    expect(deep.socket.destroyed).toBe(false);
  });

  it("a retained message on a 65536-level topic does not cost a '#' subscriber its connection: it gets SUBACK and the message", async () => {
    const { port, url } = await startBroker();
    const others = await bystanders(url);
    await publishRetained(port, version, SLASHES);
    const everything = await RawClient.connected(port, version, "everything");
    everything.send(
      { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "#", qos: 0 }] },
      version,
    );
    expect((await everything.next(PacketType.SUBACK)).reasonCodes).toEqual([0]);
    expect(await everything.next(PacketType.PUBLISH)).toMatchObject({ topic: SLASHES, retain: true });
    await others.roundTrip("after");
    expect(everything.socket.destroyed).toBe(false);
  });
});
