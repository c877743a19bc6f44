import { PacketType, type SubackPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { collectFor, connect5, mosquittoSub, mqtt5, ours, raw, startBroker, str, until } from "./harness.js";

// Shared subscriptions (section 4.8.2), with members of three different clients.

const strategies = ["round-robin", "random", "sticky", "hash-client-id", "hash-topic"] as const;

describe("shared subscriptions", () => {
  it.each(strategies)(
    "strategy %s: each message goes to exactly one member, whichever client it is (section 4.8.2)",
    async (strategy) => {
      const { broker, port, url } = await startBroker({ shared_subscription_strategy: strategy });
      const count = 12;
      const seen: string[] = [];
      const a = await ours(port, { clientId: "share-ours" });
      await a.subscribe([{ topicFilter: "$share/workers/jobs/#", qos: 1 }]);
      const { client: b } = await mqtt5(url, { clientId: "share-mqttjs" });
      await b.subscribeAsync("$share/workers/jobs/#", { qos: 1 });
      b.on("message", (_t, p) => seen.push(p.toString()));
      // mosquitto_sub exits after `count` messages; it will see fewer, so it is just killed after the test.
      const c = mosquittoSub(
        broker,
        port,
        "share-mosquitto",
        ["-t", "$share/workers/jobs/#", "-q", "1"],
        count,
      );
      await c.ready;
      const mosquittoLines: string[] = [];
      c.child.stdout?.on("data", (d: Buffer) => mosquittoLines.push(...d.toString().trim().split("\n")));
      const { client: pub } = await mqtt5(url);
      const sent = Array.from({ length: count }, (_, i) => `job${i}`);
      // Several publishers for hash-client-id: one topic each for hash-topic.
      for (const [i, m] of sent.entries()) await pub.publishAsync(`jobs/${i % 3}`, m, { qos: 1 });
      const all = () => [...a.messages().map((m) => str(m.payload)), ...seen, ...mosquittoLines];
      await until(() => all().length >= count);
      await collectFor(b, 100);
      expect(all().sort()).toEqual([...sent].sort());
    },
  );

  it("round-robin alternates between members", async () => {
    const { url } = await startBroker({ shared_subscription_strategy: "round-robin" });
    const got: string[] = [];
    for (const id of ["rr-1", "rr-2"]) {
      const { client } = await mqtt5(url, { clientId: id });
      await client.subscribeAsync("$share/rr/t", { qos: 0 });
      client.on("message", (_t, p) => got.push(`${id}:${p}`));
    }
    const { client: pub } = await mqtt5(url);
    for (let i = 0; i < 4; i++) await pub.publishAsync("t", `${i}`, { qos: 1 });
    await until(() => got.length === 4);
    const byMember = (id: string) => got.filter((g) => g.startsWith(id)).length;
    expect([byMember("rr-1"), byMember("rr-2")]).toEqual([2, 2]);
  });

  it("sends no retained message to a member when it subscribes (section 4.8.2)", async () => {
    const { port, url } = await startBroker();
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("share/kept", "retained", { qos: 1, retain: true });
    const c = await ours(port, { clientId: "share-retained" });
    await c.subscribe([{ topicFilter: "$share/g/share/kept", qos: 1 }]);
    await pub.publishAsync("share/kept", "live", { qos: 1 });
    const [m] = await c.nextMessages(1);
    expect(str(m?.payload)).toBe("live");
  });

  it("delivers to each member at its own granted QoS [MQTT-4.8.2-3]", async () => {
    const { port, url } = await startBroker({ shared_subscription_strategy: "round-robin" });
    const q0 = await ours(port, { clientId: "share-q0" });
    await q0.subscribe([{ topicFilter: "$share/q/sq", qos: 0 }]);
    const q2 = await ours(port, { clientId: "share-q2" });
    await q2.subscribe([{ topicFilter: "$share/q/sq", qos: 2 }]);
    const { client: pub } = await mqtt5(url);
    for (let i = 0; i < 4; i++) await pub.publishAsync("sq", `${i}`, { qos: 2 });
    await until(() => q0.messages().length + q2.messages().length === 4);
    expect(q0.messages().every((m) => m.qos === 0)).toBe(true);
    expect(q2.messages().every((m) => m.qos === 2)).toBe(true);
    expect(q0.messages().length).toBeGreaterThan(0);
    expect(q2.messages().length).toBeGreaterThan(0);
  });

  it("gives the unacknowledged QoS 1 messages of a member whose session ends to another member (section 4.8.2)", async () => {
    const { port, url } = await startBroker({ shared_subscription_strategy: "sticky" });
    // The raw member never acknowledges; its session ends with its connection (Session Expiry 0).
    const silent = await raw(port, connect5("share-silent"));
    silent.send({
      type: PacketType.SUBSCRIBE,
      packetId: 1,
      subscriptions: [{ topicFilter: "$share/h/ho", qos: 1 }],
    });
    await silent.next(PacketType.SUBACK);
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("ho", "handed-over", { qos: 1 });
    await until(() => silent.publishes().length === 1);
    const other = await ours(port, { clientId: "share-other" });
    await other.subscribe([{ topicFilter: "$share/h/ho", qos: 1 }]);
    silent.socket.destroy();
    const [m] = await other.nextMessages(1);
    expect(str(m?.payload)).toBe("handed-over");
  });

  it.each([
    ["a ShareName with +", "$share/a+b/t"],
    ["a ShareName with #", "$share/a#/t"],
    ["no filter after the ShareName", "$share/g"],
    ["an empty ShareName", "$share//t"],
  ])("refuses %s with 0x8F Topic Filter invalid [MQTT-4.8.2-1] [MQTT-4.8.2-2]", async (_, filter) => {
    const { port } = await startBroker();
    const c = await raw(port, connect5("bad-share"));
    c.send({ type: PacketType.SUBSCRIBE, packetId: 3, subscriptions: [{ topicFilter: filter, qos: 0 }] });
    const answer = await Promise.race([c.next<SubackPacket>(PacketType.SUBACK), c.closedBy()]);
    // The broker may refuse in the SUBACK or treat the filter as malformed; either way nothing is granted.
    if (answer?.type === PacketType.SUBACK) expect(answer.reasonCodes).toEqual([0x8f]);
    else expect([0x81, 0x82, 0x8f]).toContain(answer?.reasonCode);
  });
});
