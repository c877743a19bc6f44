import { ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveBrokerConfig } from "../../src/index.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { expectNothingPending, publish, receiveOne, subscribe } from "../harness/steps.js";

/** A broker with `dollar_topic_publish` set (or left at its default), a `$app/#` and a `#` subscriber. */
async function setup(policy: "accept" | "refuse" | undefined, version: 4 | 5 = 5) {
  const broker = await startMemoryBroker(policy === undefined ? {} : { dollar_topic_publish: policy });
  const { peer: named } = await MqttPeer.connected(broker, "named");
  await subscribe(named, { "$app/#": 1 });
  const { peer: wild } = await MqttPeer.connected(broker, "wild");
  await subscribe(wild, { "#": 1 });
  const { peer: pub } = await MqttPeer.connected(broker, "pub", {}, { version });
  return { broker, named, wild, pub };
}

describe("publishing to `$` topics (dollar_topic_publish) [MQTT-4.7.2-1]", () => {
  it("accept (the default): a 5.0 PUBLISH to $app/x gets PUBACK 0x00 and reaches only the filter naming $app, never # [MQTT-4.7.2-1]", async () => {
    const { named, wild, pub } = await setup(undefined);
    expect(await publish(pub, "$app/x", "hello", { qos: 1 })).toBe(ReasonCode.SUCCESS);
    expect((await receiveOne(named))[0]).toBe("$app/x");
    await expectNothingPending(wild);
  });

  it("refuse: a 5.0 PUBLISH to $app/x gets PUBACK (QoS 1) and PUBREC (QoS 2) 0x90 Topic Name invalid and reaches nobody", async () => {
    const { named, pub } = await setup("refuse");
    expect(await publish(pub, "$app/x", "a", { qos: 1 })).toBe(ReasonCode.TOPIC_NAME_INVALID);
    expect(await publish(pub, "$app/x", "b", { qos: 2 })).toBe(ReasonCode.TOPIC_NAME_INVALID);
    await publish(pub, "$app/x", "c", { qos: 0 });
    await expectNothingPending(named);
    // Ordinary topics are untouched by the policy.
    expect(await publish(pub, "app/x", "d", { qos: 1 })).toBe(ReasonCode.SUCCESS);
  });

  it("refuse: a 3.1.1 PUBLISH to $app/x is acknowledged with a plain PUBACK and dropped [MQTT-3.3.5-2]", async () => {
    const { named, pub } = await setup("refuse", 4);
    expect(await publish(pub, "$app/x", "a", { qos: 1 })).toBe(ReasonCode.SUCCESS);
    await expectNothingPending(named);
  });

  it.each(["accept", "refuse"] as const)(
    "%s: $SYS/ stays the broker's: a 5.0 PUBLISH gets 0x87 Not authorized",
    async (policy) => {
      const { pub } = await setup(policy);
      expect(await publish(pub, "$SYS/broker/x", "a", { qos: 1 })).toBe(ReasonCode.NOT_AUTHORIZED);
    },
  );

  it("refuses an unknown policy in the configuration, naming the key", () => {
    expect(() => resolveBrokerConfig({ dollar_topic_publish: "maybe" as never })).toThrow(ConfigError);
    expect(() => resolveBrokerConfig({ dollar_topic_publish: "maybe" as never })).toThrow(
      /dollar_topic_publish/,
    );
    expect(resolveBrokerConfig({}).dollarTopicPublish).toBe("accept");
  });
});
