// max_subscriptions_per_client: the per-session bound on subscriptions, over the memory harness.
import { PacketType, type ProtocolVersion, ReasonCode, SUBACK_FAILURE } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config/resolve.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";

const text = new TextEncoder();

/** SUBSCRIBE `filters` at QoS 1 and return the SUBACK codes. */
async function subscribe(peer: MqttPeer, packetId: number, filters: string[]): Promise<number[]> {
  peer.send({
    type: PacketType.SUBSCRIBE,
    packetId,
    subscriptions: filters.map((topicFilter) => ({ topicFilter, qos: 1 as const })),
  });
  return (await peer.expect("suback")).reasonCodes;
}

/** The refusal code of the bound at `version`: 5.0 Quota exceeded, 3.1.1 the only failure code. */
const refusal = (version: ProtocolVersion) => (version === 5 ? ReasonCode.QUOTA_EXCEEDED : SUBACK_FAILURE);

describe("max_subscriptions_per_client", () => {
  it("is bounded by default (10,000)", () => {
    expect(defaultLimits.maxSubscriptionsPerClient).toBe(10_000);
  });

  for (const version of [4, 5] as const) {
    it(`refuses only the filters past the bound (${version === 5 ? "0x97 Quota exceeded" : "0x80 Failure"}), grants the others, and keeps delivering to them (level ${version})`, async () => {
      const broker = await startMemoryBroker({ max_subscriptions_per_client: 3 });
      const { peer } = await MqttPeer.connected(broker, `bound-${version}`, {}, { version });
      expect(await subscribe(peer, 1, ["b/1", "b/2"])).toEqual([1, 1]);
      // One slot left: the first new filter takes it, the next two are refused, per filter.
      expect(await subscribe(peer, 2, ["b/3", "b/4", "b/5"])).toEqual([
        1,
        refusal(version),
        refusal(version),
      ]);
      expect(broker.stats().subscriptionsCount).toBe(3);
      // The subscriptions held still deliver; the refused ones do not exist.
      const { peer: pub } = await MqttPeer.connected(broker, `bound-pub-${version}`, {}, { version });
      for (const topic of ["b/4", "b/1", "b/3"]) {
        pub.send({
          type: PacketType.PUBLISH,
          topic,
          payload: text.encode(topic),
          qos: 0,
          retain: false,
          dup: false,
        });
      }
      expect((await peer.expect("publish")).topic).toBe("b/1");
      expect((await peer.expect("publish")).topic).toBe("b/3");
    });
  }

  it("does not count a filter twice: re-subscribing a held filter at the bound is granted (a replacement)", async () => {
    const broker = await startMemoryBroker({ max_subscriptions_per_client: 2 });
    const { peer } = await MqttPeer.connected(broker, "bound-resub");
    expect(await subscribe(peer, 1, ["r/1", "r/2"])).toEqual([1, 1]);
    expect(await subscribe(peer, 2, ["r/2", "r/1", "r/3"])).toEqual([1, 1, ReasonCode.QUOTA_EXCEEDED]);
    // The same new filter twice in one SUBSCRIBE is one subscription (the second replaces the first).
    peer.send({ type: PacketType.UNSUBSCRIBE, packetId: 3, topicFilters: ["r/2"] });
    await peer.expect("unsuback");
    expect(await subscribe(peer, 4, ["r/9", "r/9", "r/8"])).toEqual([1, 1, ReasonCode.QUOTA_EXCEEDED]);
    expect(broker.stats().subscriptionsCount).toBe(2);
  });

  it("frees a slot on UNSUBSCRIBE", async () => {
    const broker = await startMemoryBroker({ max_subscriptions_per_client: 1 });
    const { peer } = await MqttPeer.connected(broker, "bound-free");
    expect(await subscribe(peer, 1, ["u/1", "u/2"])).toEqual([1, ReasonCode.QUOTA_EXCEEDED]);
    peer.send({ type: PacketType.UNSUBSCRIBE, packetId: 2, topicFilters: ["u/1"] });
    await peer.expect("unsuback");
    expect(await subscribe(peer, 3, ["u/2"])).toEqual([1]);
  });

  it("counts per session, not per broker: another client has its own bound", async () => {
    const broker = await startMemoryBroker({ max_subscriptions_per_client: 1 });
    const { peer: a } = await MqttPeer.connected(broker, "bound-a");
    const { peer: b } = await MqttPeer.connected(broker, "bound-b");
    expect(await subscribe(a, 1, ["p/1", "p/2"])).toEqual([1, ReasonCode.QUOTA_EXCEEDED]);
    expect(await subscribe(b, 1, ["p/1"])).toEqual([1]);
  });

  it("0 means no bound", async () => {
    const broker = await startMemoryBroker({ max_subscriptions_per_client: 0 });
    const { peer } = await MqttPeer.connected(broker, "bound-none");
    const filters = Array.from({ length: 50 }, (_, i) => `n/${i}`);
    expect(await subscribe(peer, 1, filters)).toEqual(filters.map(() => 1));
  });
});
