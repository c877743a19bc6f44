import { spawn } from "node:child_process";
import { encode, PacketType, type PublishPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  connect5,
  mosquittoArgs,
  mqtt5,
  nextMessages,
  ours,
  raw,
  startBroker,
  str,
  until,
} from "./harness.js";

// Topic aliases (section 3.3.2.3.4) in both directions.

const publish = (topic: string, topicAlias: number | undefined, payload = "x"): PublishPacket => ({
  type: PacketType.PUBLISH,
  topic,
  payload: new TextEncoder().encode(payload),
  qos: 0,
  dup: false,
  retain: false,
  ...(topicAlias === undefined ? {} : { properties: { topicAlias } }),
});

/** A PUBLISH with any Topic Alias, 0 included (our encoder refuses 0, so patch the bytes). */
function publishWithAlias(topic: string, alias: number): Uint8Array {
  const b = encode(publish(topic, 0xabcd), 5);
  const at = b.findIndex((x, i) => x === 0x23 && b[i + 1] === 0xab && b[i + 2] === 0xcd);
  b[at + 1] = alias >> 8;
  b[at + 2] = alias & 0xff;
  return b;
}

describe("inbound topic aliases", () => {
  it("advertises topic_alias_maximum as the Topic Alias Maximum in CONNACK (section 3.2.2.3.8)", async () => {
    const { url } = await startBroker({ topic_alias_maximum: 4 });
    const { connack } = await mqtt5(url);
    expect(connack.properties?.topicAliasMaximum).toBe(4);
  });

  it("accepts every alias from 1 to its maximum and resolves empty topics through them [MQTT-3.3.2-12]", async () => {
    const { port, url } = await startBroker({ topic_alias_maximum: 3 });
    const { client: sub } = await mqtt5(url);
    await sub.subscribeAsync("ta/#");
    const got = nextMessages(sub, 6);
    const c = await raw(port, connect5("aliaser"));
    for (const alias of [1, 2, 3]) c.send(publish(`ta/${alias}`, alias, `set${alias}`));
    for (const alias of [3, 2, 1]) c.send(publish("", alias, `use${alias}`));
    expect((await got).map(([t, p]) => `${t}=${p}`)).toEqual([
      "ta/1=set1",
      "ta/2=set2",
      "ta/3=set3",
      "ta/3=use3",
      "ta/2=use2",
      "ta/1=use1",
    ]);
  });

  it("lets a sender remap an alias to another topic name (section 3.3.4)", async () => {
    const { port, url } = await startBroker();
    const { client: sub } = await mqtt5(url);
    await sub.subscribeAsync("remap/#");
    const got = nextMessages(sub, 3);
    const c = await raw(port, connect5("remapper"));
    c.send(publish("remap/a", 1, "1"));
    c.send(publish("remap/b", 1, "2"));
    c.send(publish("", 1, "3"));
    expect((await got).map(([t]) => t)).toEqual(["remap/a", "remap/b", "remap/b"]);
  });

  it.each([
    ["0 (never valid) [MQTT-3.3.2-8]", 0, 0x94],
    ["above the Topic Alias Maximum [MQTT-3.2.2-17]", 11, 0x94],
  ])(
    "disconnects a client that sends Topic Alias %s with 0x94 Topic Alias invalid (section 3.3.4)",
    async (_, alias, code) => {
      const { port } = await startBroker({ topic_alias_maximum: 10 });
      const c = await raw(port, connect5("bad-alias"));
      c.write(publishWithAlias("ta/x", alias));
      expect((await c.closedBy())?.reasonCode).toBe(code);
    },
  );

  it("disconnects with 0x82 a PUBLISH with an empty topic and an alias it never mapped (section 3.3.4)", async () => {
    const { port } = await startBroker();
    const c = await raw(port, connect5("unmapped"));
    c.send(publish("", 5));
    expect((await c.closedBy())?.reasonCode).toBe(0x82);
  });

  it("forgets a connection's aliases when it ends [MQTT-3.3.2-7]", async () => {
    const { port, url } = await startBroker();
    const { client: sub } = await mqtt5(url);
    await sub.subscribeAsync("forget/#");
    const got = nextMessages(sub, 1);
    const first = await raw(port, connect5("forgetful", {}, { clean: false }));
    first.send(publish("forget/me", 1));
    await got;
    first.socket.destroy();
    const second = await raw(port, connect5("forgetful", {}, { clean: false }));
    second.send(publish("", 1));
    expect((await second.closedBy())?.reasonCode).toBe(0x82);
  });

  it("our client's own outbound aliases reach subscribers as full topic names", async () => {
    const { port, url } = await startBroker();
    const { client: sub } = await mqtt5(url);
    await sub.subscribeAsync("ours/alias/#");
    const got = nextMessages(sub, 3);
    const c = await ours(port, { clientId: "ours-aliaser" });
    for (const p of ["1", "2", "3"]) await c.publish({ topic: "ours/alias/long/name", payload: p, qos: 1 });
    expect((await got).map(([t, p]) => `${t}=${p}`)).toEqual([
      "ours/alias/long/name=1",
      "ours/alias/long/name=2",
      "ours/alias/long/name=3",
    ]);
    // Our client did use the alias: the later PUBLISH packets had an empty topic.
    const sent = c.events.flatMap((a) =>
      a.kind === "send" && a.packet.type === PacketType.PUBLISH ? [a.packet] : [],
    );
    expect(sent.map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
      ["ours/alias/long/name", 1],
      ["", 1],
      ["", 1],
    ]);
  });

  it("MQTT.js publishing with a Topic Alias reaches subscribers under the full topic name", async () => {
    const { url } = await startBroker();
    const { client: sub } = await mqtt5(url);
    await sub.subscribeAsync("mj/alias/#");
    const got = nextMessages(sub, 2);
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("mj/alias/t", "1", { qos: 1, properties: { topicAlias: 2 } });
    await pub.publishAsync("", "2", { qos: 1, properties: { topicAlias: 2 } });
    expect((await got).map(([t, p]) => `${t}=${p}`)).toEqual(["mj/alias/t=1", "mj/alias/t=2"]);
  });

  it("mosquitto_pub with -D PUBLISH topic-alias reaches subscribers under the full topic name", async () => {
    const { port, url } = await startBroker();
    const { client: sub } = await mqtt5(url);
    await sub.subscribeAsync("mq/alias/#");
    const got = nextMessages(sub, 3);
    // -l publishes one message per stdin line on one connection.
    const child = spawn(
      "mosquitto_pub",
      [...mosquittoArgs(port), "-t", "mq/alias/t", "-D", "PUBLISH", "topic-alias", "1", "-l", "-q", "1"],
      { stdio: ["pipe", "ignore", "ignore"] },
    );
    child.stdin.end("a\nb\nc\n");
    try {
      expect((await got).map(([t, p]) => `${t}=${p}`)).toEqual([
        "mq/alias/t=a",
        "mq/alias/t=b",
        "mq/alias/t=c",
      ]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("outbound topic aliases", () => {
  it("sends topic and alias first, then an empty topic, never above the client's maximum [MQTT-3.3.2-11] [MQTT-3.1.2-26]", async () => {
    const { port, url } = await startBroker();
    const c = await raw(port, connect5("max2", { topicAliasMaximum: 2 }));
    c.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "out/#", qos: 0 }] });
    await c.next(PacketType.SUBACK);
    const { client: pub } = await mqtt5(url);
    const topics = ["out/a", "out/a", "out/b", "out/b", "out/c", "out/c", "out/a", "out/b"];
    for (const t of topics) await pub.publishAsync(t, t, { qos: 1 });
    await until(() => c.publishes().length === topics.length);
    // Resolve the aliases as a client would: every message must name its topic.
    const map = new Map<number, string>();
    const resolved = c.publishes().map((p) => {
      const alias = p.properties?.topicAlias;
      if (alias !== undefined) {
        expect(alias).toBeGreaterThanOrEqual(1);
        expect(alias).toBeLessThanOrEqual(2);
        if (p.topic !== "") map.set(alias, p.topic);
        return [p.topic === "" ? map.get(alias) : p.topic, str(p.payload)];
      }
      return [p.topic, str(p.payload)];
    });
    expect(resolved).toEqual(topics.map((t) => [t, t]));
    expect(c.publishes().some((p) => p.topic === "")).toBe(true);
  });

  it.each([
    ["no Topic Alias Maximum", {}],
    ["Topic Alias Maximum 0", { topicAliasMaximum: 0 }],
  ])("sends no alias to a client with %s [MQTT-3.1.2-27]", async (_, properties) => {
    const { port, url } = await startBroker();
    const c = await raw(port, connect5("no-aliases", properties));
    c.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "na/#", qos: 0 }] });
    await c.next(PacketType.SUBACK);
    const { client: pub } = await mqtt5(url);
    for (let i = 0; i < 3; i++) await pub.publishAsync("na/t", `${i}`, { qos: 1 });
    await until(() => c.publishes().length === 3);
    expect(c.publishes().map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
      ["na/t", undefined],
      ["na/t", undefined],
      ["na/t", undefined],
    ]);
  });

  it.each([
    ["our client", "ours"],
    ["MQTT.js (which rejects aliases above what it allowed)", "mqttjs"],
  ] as const)("aliased deliveries resolve to the right topics in %s", async (_, who) => {
    const { port, url } = await startBroker();
    const topics = ["al/one", "al/two", "al/one", "al/three", "al/two", "al/one"];
    let received: Promise<string[]>;
    if (who === "ours") {
      const c = await ours(port, { clientId: "al-ours" }, { topicAliasMaximum: 2 });
      await c.subscribe([{ topicFilter: "al/#", qos: 1 }]);
      received = c.nextMessages(topics.length).then((ms) => ms.map((m) => m.topic));
    } else {
      const { client } = await mqtt5(url, { clientId: "al-mqttjs", properties: { topicAliasMaximum: 2 } });
      await client.subscribeAsync("al/#", { qos: 1 });
      received = nextMessages(client, topics.length).then((ms) => ms.map(([t]) => t));
    }
    const { client: pub } = await mqtt5(url);
    for (const t of topics) await pub.publishAsync(t, "x", { qos: 1 });
    expect(await received).toEqual(topics);
  });
});
