import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { mqttClient, startBroker, until } from "../tcp.js";

const N = 300;
/** The subscriber's connection is cut every this many acknowledged messages. */
const CUT_EVERY = 60;

/**
 * A persistent-session subscriber that MQTT.js reconnects by itself; the test
 * cuts its TCP connection under it. The same client object keeps its QoS 2
 * receive state across connections, as an MQTT client must.
 */
async function persistentSubscriber(url: string, version: 4 | 5, qos: 1 | 2): Promise<MqttClient> {
  const sub = await mqttClient(url, {
    clientId: `keeper-${version}-${qos}`,
    clean: false,
    protocolVersion: version,
    reconnectPeriod: 100,
    ...(version === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}),
  });
  await sub.subscribeAsync("acked/t", { qos });
  return sub;
}

/** Publish N messages at `qos`, cutting the subscriber's connection now and then; resolves once all are acknowledged. */
async function publishWhileCutting(pub: MqttClient, sub: MqttClient, qos: 1 | 2): Promise<void> {
  let back: Promise<unknown> | undefined;
  for (let i = 0; i < N; i++) {
    if (i > 0 && i % CUT_EVERY === 0) {
      back = new Promise((resolve) => sub.once("connect", resolve));
      sub.stream.destroy();
    }
    // Half of each stretch goes out while the subscriber is away or coming back, then it is back.
    if (i % CUT_EVERY === CUT_EVERY / 2 && back !== undefined) await back;
    // Resolves on PUBACK (QoS 1) or PUBCOMP (QoS 2): the broker owns the message from then on.
    await pub.publishAsync("acked/t", String(i), { qos });
  }
}

describe.each([4, 5] as const)("no acknowledged message is lost, MQTT level %i", (version) => {
  it("a QoS 1 publisher's N acknowledged messages all reach a persistent subscriber whose connection is cut and restored meanwhile (duplicates allowed)", async () => {
    const { url } = await startBroker();
    const sub = await persistentSubscriber(url, version, 1);
    const got = new Map<string, number>();
    sub.on("message", (_t, payload: Buffer) =>
      got.set(payload.toString(), (got.get(payload.toString()) ?? 0) + 1),
    );
    let reconnects = 0;
    sub.on("connect", () => reconnects++);
    const pub = await mqttClient(url, { clientId: `acked-pub-${version}`, protocolVersion: version });
    await publishWhileCutting(pub, sub, 1);
    await until(() => got.size === N, 10_000);
    expect(reconnects).toBe(Math.floor((N - 1) / CUT_EVERY));
    expect([...got.keys()].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it("a QoS 2 publisher's N acknowledged messages reach a persistent subscriber whose connection is cut and restored meanwhile exactly once each", async () => {
    const { url } = await startBroker();
    const sub = await persistentSubscriber(url, version, 2);
    const got = new Map<string, number>();
    sub.on("message", (_t, payload: Buffer) =>
      got.set(payload.toString(), (got.get(payload.toString()) ?? 0) + 1),
    );
    const pub = await mqttClient(url, { clientId: `acked-pub2-${version}`, protocolVersion: version });
    await publishWhileCutting(pub, sub, 2);
    await until(() => got.size === N, 10_000);
    // Give redeliveries in flight a moment to show up as duplicates, if there were any.
    await pub.publishAsync("acked/t", "end", { qos: 2 });
    await until(() => got.has("end"), 5000);
    expect([...got.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(got.size).toBe(N + 1);
  });
});
