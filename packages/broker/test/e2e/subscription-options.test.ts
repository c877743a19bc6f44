import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  collectFor,
  connect5,
  mosquittoSub,
  mqtt5,
  nextMessages,
  ours,
  raw,
  startBroker,
  str,
} from "./harness.js";

// Subscription options (section 3.8.3.1): No Local, Retain As Published, Retain Handling.

describe("No Local", () => {
  it.each([
    ["our client", "ours"],
    ["MQTT.js", "mqttjs"],
  ] as const)(
    "keeps a client's own messages from %s when it subscribed with No Local [MQTT-3.8.3-3]",
    async (_, who) => {
      const { port, url } = await startBroker();
      const { client: other } = await mqtt5(url);
      let received: () => Promise<string[]>;
      let publishOwn: (payload: string) => Promise<unknown>;
      if (who === "ours") {
        const c = await ours(port, { clientId: "nl-ours" });
        await c.subscribe([
          { topicFilter: "nl/#", qos: 1, noLocal: true },
          { topicFilter: "nl/echo", qos: 1 },
        ]);
        publishOwn = (p) => c.publish({ topic: "nl/own", payload: p, qos: 1 });
        received = async () => (await c.nextMessages(2)).map((m) => `${m.topic}=${str(m.payload)}`);
      } else {
        const { client } = await mqtt5(url, { clientId: "nl-mqttjs" });
        await client.subscribeAsync({ "nl/#": { qos: 1, nl: true }, "nl/echo": { qos: 1 } });
        const got = nextMessages(client, 2);
        publishOwn = (p) => client.publishAsync("nl/own", p, { qos: 1 });
        received = async () => (await got).map(([t, p]) => `${t}=${p}`);
      }
      await publishOwn("mine");
      await other.publishAsync("nl/other", "theirs", { qos: 1 });
      await other.publishAsync("nl/echo", "echo", { qos: 1 });
      expect(await received()).toEqual(["nl/other=theirs", "nl/echo=echo"]);
    },
  );

  it("treats No Local on a shared subscription as a Protocol Error [MQTT-3.8.3-4]", async () => {
    const { port } = await startBroker();
    const c = await raw(port, connect5("nl-shared"));
    c.send({
      type: PacketType.SUBSCRIBE,
      packetId: 1,
      subscriptions: [{ topicFilter: "$share/g/nl", qos: 0, noLocal: true }],
    });
    expect((await c.closedBy())?.reasonCode).toBe(0x82);
  });
});

describe("Retain As Published", () => {
  it.each([
    ["0: RETAIN cleared on forwarding [MQTT-3.3.1-12]", false, "0"],
    ["1: RETAIN kept as published [MQTT-3.3.1-13]", true, "1"],
  ])("Retain As Published %s", async (_, rap, expected) => {
    const { broker, port, url } = await startBroker();
    const c = await ours(port, { clientId: "rap-ours" });
    await c.subscribe([{ topicFilter: "rap/#", qos: 1, retainAsPublished: rap }]);
    const { client: mj } = await mqtt5(url, { clientId: "rap-mqttjs" });
    await mj.subscribeAsync("rap/#", { qos: 1, rap });
    const mjGot = nextMessages(mj, 1);
    const mosq = mosquittoSub(
      broker,
      port,
      "rap-mosquitto",
      ["-t", "rap/#", "-q", "1", "-F", "%t %r", ...(rap ? ["--retain-as-published"] : [])],
      1,
    );
    await mosq.ready;
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("rap/t", "kept", { qos: 1, retain: true });
    expect((await c.nextMessages(1)).map((m) => m.retain)).toEqual([rap]);
    expect((await mjGot).map(([, , p]) => p.retain)).toEqual([rap]);
    expect(await mosq.lines).toEqual([`rap/t ${expected}`]);
  });

  it("sends retained messages at subscribe time with RETAIN 1 whatever Retain As Published says (section 3.8.3.1)", async () => {
    const { port, url } = await startBroker();
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("rap/stored", "s", { qos: 1, retain: true });
    const c = await ours(port, { clientId: "rap-stored" });
    await c.subscribe([{ topicFilter: "rap/stored", qos: 1, retainAsPublished: false }]);
    expect((await c.nextMessages(1)).map((m) => [m.topic, m.retain])).toEqual([["rap/stored", true]]);
  });
});

describe("Retain Handling", () => {
  const cases = [
    ["0: retained messages on every subscribe [MQTT-3.3.1-9] [MQTT-3.8.4-4]", 0, 1, 1],
    ["1: retained messages only for a new subscription [MQTT-3.3.1-10]", 1, 1, 0],
    ["2: no retained messages at subscribe [MQTT-3.3.1-11]", 2, 0, 0],
  ] as const;

  it.each(cases)("Retain Handling %s (our client)", async (_, rh, first, again) => {
    const { port, url } = await startBroker();
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("rh/t", "stored", { qos: 1, retain: true });
    const c = await ours(port, { clientId: `rh-ours-${rh}` });
    await c.subscribe([{ topicFilter: "rh/#", qos: 1, retainHandling: rh }]);
    // A marker published after the SUBACK shows that any retained message came before it.
    await pub.publishAsync("rh/marker", "1", { qos: 1 });
    await c.nextMessages(first + 1);
    await c.subscribe([{ topicFilter: "rh/#", qos: 1, retainHandling: rh }]);
    await pub.publishAsync("rh/marker", "2", { qos: 1 });
    const all = await c.nextMessages(first + again + 2);
    expect(all.map((m) => `${m.topic}=${str(m.payload)}`)).toEqual([
      ...(first ? ["rh/t=stored"] : []),
      "rh/marker=1",
      ...(again ? ["rh/t=stored"] : []),
      "rh/marker=2",
    ]);
  });

  it.each(cases)("Retain Handling %s (MQTT.js)", async (_, rh, first, again) => {
    const { url } = await startBroker();
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("rh/t", "stored", { qos: 1, retain: true });
    const { client } = await mqtt5(url, { clientId: `rh-mqttjs-${rh}` });
    const got = nextMessages(client, first + again + 2);
    await client.subscribeAsync("rh/#", { qos: 1, rh });
    await pub.publishAsync("rh/marker", "1", { qos: 1 });
    await client.subscribeAsync("rh/#", { qos: 1, rh });
    await pub.publishAsync("rh/marker", "2", { qos: 1 });
    expect((await got).map(([t, p]) => `${t}=${p}`)).toEqual([
      ...(first ? ["rh/t=stored"] : []),
      "rh/marker=1",
      ...(again ? ["rh/t=stored"] : []),
      "rh/marker=2",
    ]);
    expect(await collectFor(client, 50)).toEqual([]);
  });

  it("treats Retain Handling 3 as a Protocol Error (section 3.8.3.1)", async () => {
    const { port } = await startBroker();
    const c = await raw(port, connect5("rh3"));
    // SUBSCRIBE id 1, no properties, filter "a", options 0b0011_0000 (Retain Handling 3).
    c.write(new Uint8Array([0x82, 7, 0, 1, 0, 0, 1, 0x61, 0x30]));
    const disconnect = await c.closedBy();
    expect([0x81, 0x82]).toContain(disconnect?.reasonCode);
  });

  it("treats reserved subscription option bits as malformed [MQTT-3.8.3-5]", async () => {
    const { port } = await startBroker();
    const c = await raw(port, connect5("reserved-bits"));
    c.write(new Uint8Array([0x82, 7, 0, 1, 0, 0, 1, 0x61, 0x40]));
    expect((await c.closedBy())?.reasonCode).toBe(0x81);
  });
});
