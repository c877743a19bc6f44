import { describe, expect, it } from "vitest";
import { startMosquitto } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";

describe.each([
  [4, "3.1.1"],
  [5, "5.0"],
] as const)("MQTTClient against Debian's mosquitto, MQTT %s (%s)", (protocolVersion, _name) => {
  it("round-trips QoS 0, 1 and 2 messages and gets the granted QoS codes", async () => {
    const { url } = await startMosquitto();
    const sub = newClient({ protocolVersion });
    const pub = newClient({ protocolVersion });
    expect(await sub.connect(url)).toBe(0);
    await pub.connect(url);
    expect(
      await sub.subscribe([
        ["m/0", 0],
        ["m/1", 1],
        ["m/2", 2],
      ]),
    ).toEqual([0, 1, 2]);
    for (const qos of [0, 1, 2] as const) {
      await pub.publish(`m/${qos}`, `q${qos}`, { qos });
      const msg = await sub.deliverMessage({ timeout: 5 });
      expect([msg.topic, text(msg.data), msg.qos]).toEqual([`m/${qos}`, `q${qos}`, qos]);
    }
  });

  it("resumes a persistent session: messages queued while offline arrive after reconnect", async () => {
    const { url } = await startMosquitto();
    const sub = newClient({ protocolVersion, cleansession: false }, `persist-${protocolVersion}`);
    await sub.connect(url);
    await sub.subscribe([["p/#", 1]]);
    await sub.disconnect();
    const pub = newClient({ protocolVersion });
    await pub.connect(url);
    await pub.publish("p/1", "while away", { qos: 1 });
    expect(await sub.connect(url, { cleanSession: false })).toBe(0);
    expect(sub.sessionPresent).toBe(true);
    expect(text((await sub.deliverMessage({ timeout: 5 })).data)).toBe("while away");
  });

  it("reconnects after mosquitto restarts without persistence and restores its subscriptions", async () => {
    const first = await startMosquitto();
    const client = newClient({ protocolVersion });
    await client.connect(first.url);
    await client.subscribe([["back/#", 1]]);
    const reconnected = client.once("connected");
    await first.kill();
    await startMosquitto(first.port);
    expect((await reconnected).sessionPresent).toBe(false);
    const pub = newClient({ protocolVersion });
    await pub.connect(first.url);
    for (;;) {
      await pub.publish("back/1", "again", { qos: 1 });
      const got = await client.deliverMessage({ timeout: 0.2 }).catch(() => undefined);
      if (got !== undefined) break;
    }
  });
});
