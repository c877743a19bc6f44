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
} from "./harness.js";

// Subscription Identifiers (sections 3.3.2.3.8, 3.3.4 and 3.8.2.1.2).

const ids = (v: number | number[] | undefined): number[] =>
  v === undefined ? [] : (Array.isArray(v) ? [...v] : [v]).sort((a, b) => a - b);

describe("Subscription Identifiers", () => {
  it.each([
    ["our client", "ours"],
    ["MQTT.js", "mqttjs"],
  ] as const)(
    "a message matching several subscriptions of %s is sent once, carrying all their identifiers [MQTT-3.3.4-3] [MQTT-3.3.4-4]",
    async (_, who) => {
      const { port, url } = await startBroker();
      let got: Promise<number[][]>;
      let rest: () => Promise<unknown[]>;
      if (who === "ours") {
        const c = await ours(port, { clientId: "sid-ours" });
        await c.subscribe([{ topicFilter: "sid/+/x", qos: 1 }], { subscriptionIdentifier: 7 });
        await c.subscribe([{ topicFilter: "sid/#", qos: 0 }], { subscriptionIdentifier: 300 });
        await c.subscribe([{ topicFilter: "sid/a/x", qos: 1 }]); // no identifier
        got = c.nextMessages(1).then((ms) => ms.map((m) => ids(m.properties?.subscriptionIdentifiers)));
        rest = async () => c.messages().slice(1);
      } else {
        const { client } = await mqtt5(url, { clientId: "sid-mqttjs" });
        await client.subscribeAsync("sid/+/x", { qos: 1, properties: { subscriptionIdentifier: 7 } });
        await client.subscribeAsync("sid/#", { qos: 0, properties: { subscriptionIdentifier: 300 } });
        await client.subscribeAsync("sid/a/x", { qos: 1 });
        got = nextMessages(client, 1).then((ms) =>
          ms.map(([, , p]) => ids(p.properties?.subscriptionIdentifier)),
        );
        rest = () => collectFor(client, 100);
      }
      const { client: pub } = await mqtt5(url);
      await pub.publishAsync("sid/a/x", "once", { qos: 1 });
      expect(await got).toEqual([[7, 300]]);
      expect(await rest()).toEqual([]);
    },
  );

  it("mosquitto_sub prints the Subscription Identifier it subscribed with (-F %S)", async () => {
    const { broker, port, url } = await startBroker();
    const sub = mosquittoSub(
      broker,
      port,
      "sid-mosquitto",
      ["-t", "sidm/t", "-D", "SUBSCRIBE", "subscription-identifier", "42", "-F", "%t %S"],
      1,
    );
    await sub.ready;
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("sidm/t", "x");
    expect(await sub.lines).toEqual(["sidm/t 42"]);
  });

  it("a re-subscription without an identifier removes the old one (section 3.8.4)", async () => {
    const { port, url } = await startBroker();
    const c = await ours(port, { clientId: "sid-replaced" });
    await c.subscribe([{ topicFilter: "sidr/t", qos: 0 }], { subscriptionIdentifier: 9 });
    await c.subscribe([{ topicFilter: "sidr/t", qos: 0 }]);
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("sidr/t", "x", { qos: 1 });
    const [m] = await c.nextMessages(1);
    expect(m?.properties?.subscriptionIdentifiers).toBeUndefined();
  });

  it("a shared subscription returns only the receiving client's identifiers (section 3.3.4)", async () => {
    const { port, url } = await startBroker();
    const a = await ours(port, { clientId: "sid-share-a" });
    await a.subscribe([{ topicFilter: "$share/g/sids/t", qos: 0 }], { subscriptionIdentifier: 11 });
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("sids/t", "x", { qos: 1 });
    const [m] = await a.nextMessages(1);
    expect(ids(m?.properties?.subscriptionIdentifiers)).toEqual([11]);
  });

  it("treats Subscription Identifier 0 in a SUBSCRIBE as a Protocol Error (section 3.8.2.1.2)", async () => {
    const { port } = await startBroker();
    const c = await raw(port, connect5("sid-zero"));
    // SUBSCRIBE id 1, properties [0x0B 0x00], filter "a", QoS 0.
    c.write(new Uint8Array([0x82, 9, 0, 1, 2, 0x0b, 0, 0, 1, 0x61, 0]));
    expect([0x81, 0x82]).toContain((await c.closedBy())?.reasonCode);
  });

  it("treats a Subscription Identifier from a client in a PUBLISH as a Protocol Error [MQTT-3.3.4-6]", async () => {
    const { port } = await startBroker();
    const c = await raw(port, connect5("sid-in-publish"));
    c.send({
      type: PacketType.PUBLISH,
      topic: "sidp/t",
      payload: new Uint8Array(),
      qos: 0,
      properties: { subscriptionIdentifiers: [5] },
    });
    expect([0x81, 0x82]).toContain((await c.closedBy())?.reasonCode);
  });
});
