import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { connect5, raw, startBroker } from "./harness.js";

// Refusals tied to what CONNACK announced, and the shutdown DISCONNECT. (These
// were found failing by this suite and fixed in the broker.)

describe("refusals by announced capabilities, and shutdown", () => {
  it.each([
    [
      "a wildcard subscription when wildcard_subscription_available is false",
      { wildcard_subscription_available: false },
      { topicFilter: "kf/+", qos: 0 },
      undefined,
      0xa2,
    ],
    [
      "a shared subscription when shared_subscription_available is false",
      { shared_subscription_available: false },
      { topicFilter: "$share/g/kf", qos: 0 },
      undefined,
      0x9e,
    ],
    [
      "a Subscription Identifier when subscription_identifier_available is false",
      { subscription_identifier_available: false },
      { topicFilter: "kf/t", qos: 0 },
      5,
      0xa1,
    ],
  ] as const)(
    "disconnects a client that uses %s with the matching reason code (sections 3.2.2.3.11 to 3.2.2.3.13)",
    async (_, config, subscription, subscriptionIdentifier, code) => {
      const { port } = await startBroker(config);
      const c = await raw(port, connect5("kf-unavailable"));
      c.send({
        type: PacketType.SUBSCRIBE,
        packetId: 1,
        subscriptions: [subscription],
        ...(subscriptionIdentifier === undefined ? {} : { properties: { subscriptionIdentifier } }),
      });
      expect((await c.closedBy())?.reasonCode).toBe(code);
    },
  );

  it.each([
    [
      "a Will QoS above Maximum QoS with 0x9B [MQTT-3.2.2-12]",
      { max_qos: 0 as const },
      { qos: 1 as const, retain: false },
      0x9b,
    ],
    [
      "a retained will without Retain Available with 0x9A [MQTT-3.2.2-13]",
      { retain_available: false },
      { qos: 0 as const, retain: true },
      0x9a,
    ],
  ])("refuses a CONNECT with %s", async (_, config, flags, code) => {
    const { port } = await startBroker(config);
    const c = await raw(
      port,
      connect5("will-over-limits", {}, { will: { topic: "w", payload: new Uint8Array(), ...flags } }),
    );
    expect(c.connack?.type === PacketType.CONNACK && c.connack.reasonCode).toBe(code);
    await c.closedBy();
  });

  it("stopping the broker sends DISCONNECT 0x8B Server shutting down", async () => {
    const { broker, port } = await startBroker();
    const c = await raw(port, connect5("shutdown"));
    await broker.stop();
    expect((await c.closedBy())?.reasonCode).toBe(0x8b);
  });
});
