// Order per publisher and topic across QoS levels. MQTT orders PUBLISH packets
// "for the same Topic and QoS" (5.0 [MQTT-4.6.0-5], 3.1.1 [MQTT-4.6.0-6]); one
// broker does more: while a subscriber's window has room, messages of one
// publisher on one topic reach it in the order they were sent, whatever their
// QoS. A cluster keeps the same order (one ordered channel per sending and
// receiving node for every QoS). Replay a seed with AMQTT_ORDER_SEEDS=<seed>.
import { type Packet, PacketType, type QoS } from "@amqtt/codec";
import { seededRandom } from "@amqtt/test-utils/prng";
import { describe, expect, it } from "vitest";
import type { Broker } from "../../src/index.js";
import { startCluster } from "../cluster/harness.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { publish, sendPublish, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";

const seeds = (process.env.AMQTT_ORDER_SEEDS ?? "1,2,3").split(",").map(Number);
const COUNT = 60;

/** The PUBLISH packets a subscriber reads, acknowledged as a client must, as `payload qos` in arrival order. */
function collect(peer: MqttPeer): string[] {
  const lines: string[] = [];
  void (async () => {
    for (;;) {
      let packet: Packet;
      try {
        packet = await peer.next();
      } catch {
        return; // the peer was closed after the test
      }
      if (packet.type === PacketType.PUBLISH) {
        lines.push(`${new TextDecoder().decode(packet.payload)} ${packet.qos}`);
        if (packet.qos === 1) peer.send({ type: PacketType.PUBACK, packetId: packet.packetId! });
        if (packet.qos === 2) peer.send({ type: PacketType.PUBREC, packetId: packet.packetId! });
      } else if (packet.type === PacketType.PUBREL)
        peer.send({ type: PacketType.PUBCOMP, packetId: packet.packetId });
    }
  })();
  return lines;
}

/** Answer the broker's PUBRECs with PUBRELs, so pipelined QoS 2 publishes complete. */
function releaseAll(peer: MqttPeer): void {
  void (async () => {
    for (;;) {
      let packet: Packet;
      try {
        packet = await peer.next();
      } catch {
        return;
      }
      if (packet.type === PacketType.PUBREC)
        peer.send({ type: PacketType.PUBREL, packetId: packet.packetId });
    }
  })();
}

/**
 * One publisher pipelines `COUNT` messages of seeded QoS on one topic (no
 * waiting for acknowledgements); a subscriber at QoS 2 and one at QoS 1 read
 * them. Answers what each read and what was sent.
 */
async function pipelined(
  seed: number,
  publisherAt: Broker,
  subscriberAt: Broker,
  version: 4 | 5,
  settle: () => Promise<void> = async () => undefined,
): Promise<{ sent: string[]; byGrant: Record<QoS, string[]> }> {
  const random = seededRandom(seed);
  const byGrant = {} as Record<QoS, string[]>;
  for (const grant of [2, 1, 0] as const) {
    const { peer } = await MqttPeer.connected(subscriberAt, `sub-q${grant}`, {}, { version });
    await subscribe(peer, { "order/#": grant });
    byGrant[grant] = collect(peer);
  }
  await settle();
  const { peer: pub } = await MqttPeer.connected(publisherAt, "pub", {}, { version });
  releaseAll(pub);
  const sent: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const qos = Math.floor(random() * 3) as QoS;
    sent.push(`m${i}-q${qos}`);
    sendPublish(pub, "order/t", `m${i}-q${qos}`, { qos });
  }
  await until(() => Object.values(byGrant).every((lines) => lines.length === COUNT), 10_000);
  return { sent, byGrant };
}

/** What a subscriber granted `grant` must read: every message, in the order sent, at the lower QoS. */
function expected(sent: string[], grant: QoS): string[] {
  return sent.map((m) => `${m} ${Math.min(grant, Number(m.slice(-1)))}`);
}

describe("order per publisher and topic, across QoS levels", () => {
  for (const version of [4, 5] as const)
    it.each(seeds)(
      `one broker, MQTT ${version === 5 ? "5.0" : "3.1.1"}, seed %i: interleaved QoS 0/1/2 reach each subscriber in the order sent [MQTT-4.6.0-5] [MQTT-4.6.0-6]`,
      async (seed) => {
        const broker = await startMemoryBroker();
        const { sent, byGrant } = await pipelined(seed, broker, broker, version);
        for (const grant of [0, 1, 2] as const)
          expect(byGrant[grant], `seed ${seed}, granted QoS ${grant}`).toEqual(expected(sent, grant));
      },
    );

  it.each(seeds)(
    "a 2-node cluster, seed %i: publisher on one node, subscribers on the other, the same order [MQTT-4.6.0-5]",
    async (seed) => {
      const { brokers, buses } = await startCluster(2);
      const { sent, byGrant } = await pipelined(seed, brokers[0]!, brokers[1]!, 5, () =>
        until(() => buses[0]!.match("order/t").nodes.has("n1")),
      );
      for (const grant of [0, 1, 2] as const)
        expect(byGrant[grant], `seed ${seed}, granted QoS ${grant}`).toEqual(expected(sent, grant));
    },
  );

  it("a full window holds QoS 1/2 messages, not QoS 0 ones: a later QoS 0 message overtakes (allowed: order is per Topic and QoS) [MQTT-4.6.0-5]", async () => {
    const broker = await startMemoryBroker();
    const { peer: sub } = await MqttPeer.connected(broker, "narrow", { properties: { receiveMaximum: 1 } });
    await subscribe(sub, { "order/#": 1 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    await publish(pub, "order/t", "first q1", { qos: 1 });
    await publish(pub, "order/t", "second q1", { qos: 1 });
    await publish(pub, "order/t", "third q0", { qos: 0 });
    // The subscriber acknowledges nothing: "second" waits for a free slot of its window of 1.
    const first = await sub.expect("publish");
    const next = await sub.expect("publish");
    expect([first, next].map((p) => new TextDecoder().decode(p.payload))).toEqual(["first q1", "third q0"]);
    sub.send({ type: PacketType.PUBACK, packetId: first.packetId! });
    const held = await sub.expect("publish");
    expect(new TextDecoder().decode(held.payload)).toBe("second q1");
  });
});
