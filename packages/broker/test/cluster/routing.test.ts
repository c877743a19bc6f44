// Routing between broker nodes of one cluster (MemoryClusterEngine, several brokers in one process).
import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { MqttPeer } from "../harness/peer.js";
import {
  expectNothingPending,
  publish,
  receive,
  receiveAll,
  receiveOne,
  settled,
  subscribe,
} from "../harness/steps.js";
import { until } from "../harness/wait.js";
import { routeSeen, startCluster } from "./harness.js";

describe("routing across the nodes of a cluster", () => {
  it.each([0, 1, 2] as const)(
    "delivers a QoS %i message published on one node to a subscriber on another, at the granted QoS [MQTT-3.8.4-6]",
    async (qos) => {
      const { brokers, buses } = await startCluster(2);
      const { peer: sub } = await MqttPeer.connected(brokers[1]!, "sub");
      await subscribe(sub, { "a/+": 2 });
      await routeSeen(buses[0]!, "n1", "a/b");
      const { peer: pub } = await MqttPeer.connected(brokers[0]!, "pub");
      expect(await publish(pub, "a/b", `q${qos}`, { qos })).toBe(ReasonCode.SUCCESS);
      const [delivered] = await receive(sub, 1);
      const [topic, payload, packet] = delivered!;
      expect([topic, payload, packet.qos]).toEqual(["a/b", `q${qos}`, qos]);
      await expectNothingPending(sub);
    },
  );

  it("sends only to nodes whose routes match (no broadcast), and keeps publisher order per topic", async () => {
    const { brokers, buses } = await startCluster(3);
    const { peer: sub } = await MqttPeer.connected(brokers[1]!, "sub");
    await subscribe(sub, { "o/#": 1 });
    await routeSeen(buses[0]!, "n1", "o/x");
    const { peer: pub } = await MqttPeer.connected(brokers[0]!, "pub");
    for (let i = 0; i < 50; i++) await publish(pub, "o/x", String(i), { qos: 1 });
    const got = await receive(sub, 50);
    expect(got.map(([, p]) => Number(p))).toEqual([...Array(50).keys()]);
    expect(brokers[2]!.stats().cluster?.remoteMessagesIn).toBe(0);
    expect(brokers[0]!.stats().cluster?.remoteMessagesOut).toBe(50);
  });

  it("delivers to local and remote subscribers alike, once each", async () => {
    const { brokers, buses } = await startCluster(2);
    const { peer: near } = await MqttPeer.connected(brokers[0]!, "near");
    const { peer: far } = await MqttPeer.connected(brokers[1]!, "far");
    await subscribe(near, { "m/#": 1 });
    await subscribe(far, { "m/#": 1, "m/+": 1 });
    await routeSeen(buses[0]!, "n1", "m/1");
    const { peer: pub } = await MqttPeer.connected(brokers[0]!, "pub");
    await publish(pub, "m/1", "x", { qos: 1 });
    expect((await receiveAll(near)).map(([t]) => t)).toEqual(["m/1"]);
    // Two matching filters of one client: one copy (3.1.1 section 3.3.5).
    expect((await receive(far, 1)).map(([t]) => t)).toEqual(["m/1"]);
    expect(await receiveAll(far)).toEqual([]);
  });

  it("never matches a `$` topic with a wildcard on another node [MQTT-4.7.2-1]", async () => {
    const { brokers, buses } = await startCluster(2);
    const { peer: all } = await MqttPeer.connected(brokers[1]!, "all");
    const { peer: dollar } = await MqttPeer.connected(brokers[1]!, "dollar");
    await subscribe(all, { "#": 0, "+/x": 0 });
    await subscribe(dollar, { "$app/#": 0 });
    await routeSeen(buses[0]!, "n1", "$app/x");
    const { peer: pub } = await MqttPeer.connected(brokers[0]!, "pub");
    await publish(pub, "$app/x", "d", { qos: 0 });
    await settled(pub);
    expect((await receiveOne(dollar)).slice(0, 2)).toEqual(["$app/x", "d"]);
    expect((await receiveAll(all)).map(([t]) => t)).not.toContain("$app/x");
  });

  it("keeps retained messages cluster-wide: set on one node, seen on subscribe at another, cleared everywhere [MQTT-3.3.1-6]", async () => {
    const { brokers } = await startCluster(3);
    const { peer: pub } = await MqttPeer.connected(brokers[0]!, "pub");
    await publish(pub, "r/1", "kept", { qos: 1, retain: true });
    await until(() => brokers[2]!.retained.size === 1);
    const { peer: late } = await MqttPeer.connected(brokers[2]!, "late");
    await subscribe(late, { "r/#": 1 });
    const [topic, payload, packet] = await receiveOne(late);
    expect([topic, payload, packet.retain]).toEqual(["r/1", "kept", true]);
    await publish(pub, "r/1", "", { qos: 1, retain: true });
    await until(() => brokers[1]!.retained.size === 0 && brokers[2]!.retained.size === 0);
    const { peer: later } = await MqttPeer.connected(brokers[1]!, "later");
    await subscribe(later, { "r/#": 1 });
    expect(await receiveAll(later)).toEqual([]);
  });

  it("delivers a QoS 1 message once although the engine stores it twice (de-duplication by envelope id)", async () => {
    const { brokers, buses, engine } = await startCluster(2);
    const { peer: sub } = await MqttPeer.connected(brokers[1]!, "sub");
    await subscribe(sub, { d: 2 });
    await routeSeen(buses[0]!, "n1", "d");
    const { peer: pub } = await MqttPeer.connected(brokers[0]!, "pub");
    engine.duplicateNext("n1", 2);
    await publish(pub, "d", "once-1", { qos: 1 });
    await publish(pub, "d", "once-2", { qos: 2 });
    expect((await receive(sub, 2)).map(([, p]) => p)).toEqual(["once-1", "once-2"]);
    await until(() => brokers[1]!.stats().cluster?.duplicatesDropped === 2);
    await expectNothingPending(sub);
  });

  it("gives each message of a shared subscription to exactly one member cluster-wide [MQTT-4.8.2]", async () => {
    const { brokers, buses } = await startCluster(3);
    const { peer: m1 } = await MqttPeer.connected(brokers[0]!, "m1");
    const { peer: m2 } = await MqttPeer.connected(brokers[1]!, "m2");
    const { peer: m3 } = await MqttPeer.connected(brokers[1]!, "m3");
    for (const m of [m1, m2, m3]) await subscribe(m, { "$share/g/s/#": 1 });
    await routeSeen(buses[2]!, "n0", "s/x", "g");
    await routeSeen(buses[2]!, "n1", "s/x", "g");
    const { peer: pub } = await MqttPeer.connected(brokers[2]!, "pub");
    const total = 30;
    for (let i = 0; i < total; i++) await publish(pub, "s/x", String(i), { qos: 1 });
    await until(
      () =>
        brokers[0]!.stats().cluster!.remoteMessagesIn + brokers[1]!.stats().cluster!.remoteMessagesIn ===
        total,
    );
    const got = [await receiveAll(m1), await receiveAll(m2), await receiveAll(m3)].map((d) =>
      d.map(([, p]) => p),
    );
    const all = got
      .flat()
      .map(Number)
      .sort((a, b) => a - b);
    expect(all).toEqual([...Array(total).keys()]);
    // Both nodes took turns (round robin over the nodes with members).
    expect(got[0]!.length).toBeGreaterThan(0);
    expect(got[1]!.length + got[2]!.length).toBeGreaterThan(0);
  });

  it("publishes a will on abrupt close to subscribers on other nodes [MQTT-3.1.2-8]", async () => {
    const { brokers, buses } = await startCluster(2);
    const { peer: watcher } = await MqttPeer.connected(brokers[1]!, "watcher");
    await subscribe(watcher, { "wills/#": 1 });
    await routeSeen(buses[0]!, "n1", "wills/x");
    const { peer: dying } = await MqttPeer.connected(brokers[0]!, "dying", {
      will: { topic: "wills/x", payload: new TextEncoder().encode("gone"), qos: 1, retain: false },
    });
    dying.drop();
    expect((await receiveOne(watcher)).slice(0, 2)).toEqual(["wills/x", "gone"]);
  });

  it("answers the PUBACK only once another node's copy is in the engine: none while the engine is down", async () => {
    const { brokers, buses, engine } = await startCluster(2);
    const { peer: sub } = await MqttPeer.connected(brokers[1]!, "sub");
    await subscribe(sub, { e: 1 });
    await routeSeen(buses[0]!, "n1", "e");
    const { peer: pub } = await MqttPeer.connected(brokers[0]!, "pub");
    engine.setAvailable(false);
    pub.send({
      type: PacketType.PUBLISH,
      topic: "e",
      payload: new Uint8Array([1]),
      qos: 1,
      packetId: 7,
      retain: false,
      dup: false,
    });
    await pub.expectClosed();
    expect(pub.received.some((p) => p.type === PacketType.PUBACK)).toBe(false);
    expect(brokers[0]!.stats().cluster?.sendFailures).toBeGreaterThan(0);
  });
});
