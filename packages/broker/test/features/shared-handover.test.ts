// A leaving shared-subscription member's unacknowledged messages (5.0 section 4.8.2), over the memory harness.
import type { ProtocolVersion } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import type { Broker } from "../../src/index.js";
import { disconnected } from "../harness/events.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { expectNothingPending, publish, receive, receiveAll, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";

const text = new TextDecoder();

/** A member of `$share/g/job/#` that reads PUBLISH packets and never acknowledges them. */
async function silentMember(
  broker: Broker,
  clientId: string,
  version: ProtocolVersion = 5,
  clean = true,
): Promise<MqttPeer> {
  const { peer } = await MqttPeer.connected(broker, clientId, { clean }, { version });
  await subscribe(peer, { "$share/g/job/#": 1 });
  return peer;
}

describe("shared subscriptions: a leaving member's unacknowledged messages (5.0 section 4.8.2)", () => {
  it("go to another member of the group when the member's session ends", async () => {
    const broker = await startMemoryBroker({ shared_subscription_strategy: "round-robin" });
    const silent = await silentMember(broker, "silent");
    const { peer: other } = await MqttPeer.connected(broker, "other");
    await subscribe(other, { "$share/g/job/#": 1 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    for (let i = 0; i < 6; i++) await publish(pub, "job/x", `m${i}`, { qos: 1 });
    await silent.until(() => silent.publishes().length === 3, "3 PUBLISH packets");
    const unacked = silent.publishes().map((p) => text.decode(p.payload));
    // The silent member's connection drops (Session Expiry 0: its session ends with it).
    silent.drop();
    // Every message reaches the remaining member once: its own three and the silent one's three.
    const received = (await receive(other, 6)).map(([t, p]) => `${t}:${p}`);
    expect(received.sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `job/x:m${i}`));
    expect(received.filter((r) => unacked.includes(r.split(":")[1]!))).toHaveLength(3);
    expect(await receiveAll(other)).toEqual([]);
  });

  it("do not go elsewhere while the member's session lives on (the member gets them again on reconnect)", async () => {
    const broker = await startMemoryBroker({ shared_subscription_strategy: "round-robin" });
    const keeps = await silentMember(broker, "keeps", 4, false);
    const { peer: other } = await MqttPeer.connected(broker, "other2");
    await subscribe(other, { "$share/g/job/#": 1 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    for (let i = 0; i < 4; i++) await publish(pub, "job/y", `n${i}`, { qos: 1 });
    await keeps.until(() => keeps.publishes().length === 2, "2 PUBLISH packets");
    const gone = disconnected(broker, "keeps");
    keeps.drop();
    await gone;
    // The other member got its own two, and nothing of the member whose session lives on.
    expect((await receiveAll(other)).length).toBe(2);
    // Back with the same persistent session: the two unacknowledged messages come again [MQTT-4.4.0-1], DUP set [MQTT-3.3.1-1].
    const { peer: back } = await MqttPeer.connected(broker, "keeps", { clean: false }, { version: 4 });
    await back.until(() => back.publishes().length === 2, "2 PUBLISH packets");
    expect(back.publishes().every((p) => p.dup)).toBe(true);
  });

  it("are counted as dropped when no other member is left", async () => {
    const broker = await startMemoryBroker();
    const dropped: string[] = [];
    broker.on("dropped", (_client, topic, reason) => dropped.push(`${topic}:${reason}`));
    const silent = await silentMember(broker, "alone");
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    await publish(pub, "job/z", "only", { qos: 1 });
    await silent.until(() => silent.publishes().length === 1, "1 PUBLISH packet");
    silent.drop();
    await until(() => dropped.length === 1);
    expect(dropped[0]).toContain("shared subscription");
    // A member joining later does not get the dropped message.
    const { peer: late } = await MqttPeer.connected(broker, "late");
    await subscribe(late, { "$share/g/job/#": 1 });
    await expectNothingPending(late);
  });
});
