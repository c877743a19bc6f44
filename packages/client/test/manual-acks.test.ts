import { describe, expect, it } from "vitest";
import { ClientError } from "../src/index.js";
import { startMosquitto } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";

describe.each([
  [4, "3.1.1"],
  [5, "5.0"],
] as const)("manualAcks against Debian's mosquitto, MQTT %s (%s)", (protocolVersion, _name) => {
  it("an unacknowledged QoS 1 message is sent again after a reconnect; an acknowledged one is not [MQTT-4.4.0-1]", async () => {
    const { url } = await startMosquitto();
    const sub = newClient(
      { protocolVersion, cleansession: false, manualAcks: true },
      `manual-${protocolVersion}`,
    );
    await sub.connect(url);
    await sub.subscribe([["m/#", 1]]);
    const pub = newClient({ protocolVersion });
    await pub.connect(url);

    await pub.publish("m/1", "first", { qos: 1 });
    const unacked = await sub.deliverMessage({ timeout: 5 });
    expect(text(unacked.data)).toBe("first");
    await sub.reconnect({ cleanSession: false });
    const again = await sub.deliverMessage({ timeout: 5 });
    expect(text(again.data)).toBe("first");
    // The first copy's connection is gone: nothing to acknowledge there.
    expect(sub.acknowledge(unacked)).toBe(false);
    expect(sub.acknowledge(again)).toBe(true);
    expect(sub.acknowledge(again)).toBe(false);
    // The PINGRESP comes after the broker read the PUBACK written before the PINGREQ.
    await sub.ping();

    await sub.reconnect({ cleanSession: false });
    await pub.publish("m/2", "second", { qos: 1 });
    const next = await sub.deliverMessage({ timeout: 5 });
    expect(text(next.data)).toBe("second");
    expect(sub.acknowledge(next)).toBe(true);
  });

  it("delivers QoS 0 at once with nothing to acknowledge", async () => {
    const { url } = await startMosquitto();
    const sub = newClient({ protocolVersion, manualAcks: true });
    await sub.connect(url);
    await sub.subscribe([["z", 0]]);
    const pub = newClient({ protocolVersion });
    await pub.connect(url);
    await pub.publish("z", "zero", { qos: 0 });
    const m = await sub.deliverMessage({ timeout: 5 });
    expect(text(m.data)).toBe("zero");
    expect(sub.acknowledge(m)).toBe(false);
  });
});

it("acknowledge() without manualAcks is a usage error", async () => {
  const { url } = await startMosquitto();
  const sub = newClient();
  await sub.connect(url);
  await sub.subscribe([["y", 1]]);
  const pub = newClient();
  await pub.connect(url);
  await pub.publish("y", "1", { qos: 1 });
  const m = await sub.deliverMessage({ timeout: 5 });
  expect(() => sub.acknowledge(m)).toThrow(ClientError);
});
