import { PacketType, type SubackPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { connect5, mosquitto, mosquittoArgs, mqtt5, ours, raw, startBroker } from "./harness.js";

// Reason codes in every acknowledgement (sections 2.4, 3.4 to 3.11, 3.14) and problem information.

const acl = (code?: number) => ({
  plugins: {
    "anonymous-auth": {},
    "topic-acl": {
      acl: { anonymous: ["open/#"] },
      publish_acl: { anonymous: ["open/#"] },
      ...(code === undefined ? {} : { subscribe_refusal_code: code }),
    },
  },
});

/** MQTT.js rejects a refused SUBSCRIBE; its error carries the SUBACK's codes. */
async function refusedCodes(subscribing: Promise<unknown>): Promise<unknown> {
  return subscribing.then(
    () => "granted",
    (e: { packet?: { granted?: (number | { qos: number })[] } }) =>
      e.packet?.granted?.map((g) => (typeof g === "number" ? g : g.qos)),
  );
}

describe("SUBACK reason codes", () => {
  it.each([
    ["0x80 Unspecified error by default", undefined, 0x80],
    ["0x87 Not authorized when configured", 0x87, 0x87],
  ])(
    "a subscription the ACL refuses gets %s, to our client and MQTT.js [MQTT-3.9.3-2]",
    async (_, configured, code) => {
      const { port, url } = await startBroker(acl(configured));
      const c = await ours(port, { clientId: "acl-ours" });
      expect((await c.subscribe([{ topicFilter: "closed/t", qos: 1 }])).reasonCodes).toEqual([code]);
      const { client } = await mqtt5(url, { clientId: "acl-mqttjs" });
      expect(await refusedCodes(client.subscribeAsync("closed/t", { qos: 1 }))).toEqual([code]);
    },
  );

  it("mosquitto_sub reports a refused subscription", async () => {
    const { port } = await startBroker(acl(0x87));
    const r = await mosquitto("mosquitto_sub", [...mosquittoArgs(port), "-t", "closed/t", "-E"]);
    expect(r.stderr).toMatch(/denied/i);
  });

  it("a 3.1.1 client always gets 0x80, whatever is configured (3.1.1 has no 0x87)", async () => {
    const { url } = await startBroker(acl(0x87));
    const { client } = await mqtt5(url, { protocolVersion: 4, clientId: "acl-311" });
    expect(await refusedCodes(client.subscribeAsync("closed/t", { qos: 1 }))).toEqual([0x80]);
  });

  it("answers every filter, in order, with its own code [MQTT-3.8.4-6] [MQTT-3.9.3-1] [MQTT-3.8.4-7]", async () => {
    const { port } = await startBroker({ ...acl(0x87), max_qos: 1 });
    const c = await raw(port, connect5("many-filters"));
    c.send({
      type: PacketType.SUBSCRIBE,
      packetId: 42,
      subscriptions: [
        { topicFilter: "open/a", qos: 2 },
        { topicFilter: "closed/b", qos: 0 },
        { topicFilter: "open/+", qos: 0 },
        { topicFilter: "$share/g/open/c", qos: 1 },
      ],
    });
    const suback = await c.next<SubackPacket>(PacketType.SUBACK);
    expect([suback.packetId, suback.reasonCodes]).toEqual([42, [1, 0x87, 0, 1]]);
  });
});

describe("PUBACK, PUBREC and UNSUBACK reason codes", () => {
  it.each([
    ["PUBACK", 1],
    ["PUBREC", 2],
  ] as const)(
    "a publication the ACL refuses gets %s 0x87 Not authorized [MQTT-3.4.2-1] [MQTT-3.5.2-1]",
    async (_, qos) => {
      const { port } = await startBroker(acl());
      const c = await ours(port, { clientId: `refused-pub-${qos}` });
      const acked = await c.publish({ topic: "closed/t", payload: "no", qos });
      expect(acked?.reasonCode).toBe(0x87);
      const ok = await c.publish({ topic: "open/t", payload: "yes", qos });
      expect(ok?.reasonCode).toBeLessThan(0x80);
    },
  );

  it("MQTT.js sees its refused QoS 1 publication fail with 0x87", async () => {
    const { url } = await startBroker(acl());
    const { client } = await mqtt5(url);
    const error = await client.publishAsync("closed/t", "no", { qos: 1 }).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(error?.code).toBe(0x87);
  });

  it("UNSUBACK says 0x11 No subscription existed for a filter it did not have, 0x00 otherwise [MQTT-3.11.3-1] [MQTT-3.11.3-2]", async () => {
    const { port } = await startBroker();
    const c = await ours(port, { clientId: "unsub-codes" });
    await c.subscribe([{ topicFilter: "u/a", qos: 0 }]);
    expect((await c.unsubscribe(["u/none", "u/a"])).reasonCodes).toEqual([0x11, 0x00]);
  });
});

describe("DISCONNECT reason codes from the broker", () => {
  it("a take-over sends the old connection DISCONNECT 0x8E Session taken over [MQTT-3.1.4-3]", async () => {
    const { url } = await startBroker();
    const { client: old } = await mqtt5(url, { clientId: "taken" });
    const disconnect = new Promise<{ reasonCode?: number }>((r) =>
      old.once("disconnect", (p) => r(p as never)),
    );
    await mqtt5(url, { clientId: "taken" });
    expect((await disconnect).reasonCode).toBe(0x8e);
  });

  it("never sends a Session Expiry Interval in its DISCONNECT [MQTT-3.14.2-2]", async () => {
    const { broker, port } = await startBroker();
    const c = await raw(port, connect5("no-sei", { sessionExpiryInterval: 60 }));
    broker.redirect("no-sei", "x.example");
    const d = await c.closedBy();
    expect(d?.properties?.sessionExpiryInterval).toBeUndefined();
  });
});

describe("problem information", () => {
  it.each([
    ["asked for (the default)", {}, "Not authorized"],
    ["switched off with Request Problem Information 0", { requestProblemInformation: 0 }, undefined],
  ])(
    "a refused subscription carries a Reason String when problem information is %s [MQTT-3.1.2-29]",
    async (_, properties, reason) => {
      const { port } = await startBroker(acl(0x87));
      const c = await raw(port, connect5(`problem-${reason ?? "none"}`, properties));
      c.send({
        type: PacketType.SUBSCRIBE,
        packetId: 1,
        subscriptions: [{ topicFilter: "closed/x", qos: 0 }],
      });
      const suback = await c.next<SubackPacket>(PacketType.SUBACK);
      expect(suback.reasonCodes).toEqual([0x87]);
      expect(suback.properties?.reasonString).toBe(reason);
    },
  );

  it("a refused publication carries a Reason String only when problem information is wanted [MQTT-3.1.2-29]", async () => {
    const { port } = await startBroker(acl());
    for (const [properties, expected] of [
      [{}, "string"],
      [{ requestProblemInformation: 0 }, "undefined"],
    ] as const) {
      const c = await raw(port, connect5(`pub-problem-${expected}`, properties));
      c.send({ type: PacketType.PUBLISH, topic: "closed/p", payload: new Uint8Array(), qos: 1, packetId: 5 });
      const puback = await c.next(PacketType.PUBACK);
      expect(
        puback.type === PacketType.PUBACK && [puback.reasonCode, typeof puback.properties?.reasonString],
      ).toEqual([0x87, expected]);
    }
  });
});
