import { ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { collectFor, mqttClient, nextMessages, startBroker, until } from "./helpers.js";
import { ManualClock } from "./manual-clock.js";

/** Resolves with the reason code of the next DISCONNECT the server sends the client. */
function nextDisconnect(client: Awaited<ReturnType<typeof mqttClient>>): Promise<number | undefined> {
  return new Promise((resolve) => client.once("disconnect", (packet) => resolve(packet.reasonCode)));
}

describe("the broker on an injected clock", () => {
  it("gives each broker in a process its own timer wheel: a keep alive expires only on the broker whose clock moved [MQTT-3.1.2-22]", async () => {
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = await startBroker({}, { clock: clockA });
    const b = await startBroker({}, { clock: clockB });
    const onA = await mqttClient(a.url, { protocolVersion: 5, clientId: "on-a", keepalive: 60 });
    const onB = await mqttClient(b.url, { protocolVersion: 5, clientId: "on-b", keepalive: 60 });

    // 1.5 times the keep alive of silence on A's clock: A closes its client with 0x8D.
    const closedA = nextDisconnect(onA);
    clockA.advance(91_000);
    expect(await closedA).toBe(ReasonCode.KEEP_ALIVE_TIMEOUT);
    await until(() => a.broker.sessions.get("on-a")?.online !== true);

    // B's clock did not move: its client is still served (a round trip through B proves it).
    expect(b.broker.sessions.get("on-b")?.online).toBe(true);
    await onB.subscribeAsync("still/here", { qos: 1 });
    const got = nextMessages(onB, 1);
    await onB.publishAsync("still/here", "yes", { qos: 1 });
    expect((await got)[0]!.slice(0, 2)).toEqual(["still/here", "yes"]);

    // Now B's clock moves, and B closes its client the same way.
    const closedB = nextDisconnect(onB);
    clockB.advance(91_000);
    expect(await closedB).toBe(ReasonCode.KEEP_ALIVE_TIMEOUT);
  });

  it("does not close a client before 1.5 times its keep alive passed on the broker's clock [MQTT-3.1.2-22]", async () => {
    const clock = new ManualClock();
    const { broker, url } = await startBroker({}, { clock });
    const client = await mqttClient(url, { protocolVersion: 5, clientId: "patient", keepalive: 60 });
    clock.advance(89_000);
    await collectFor(client, 100);
    expect(broker.sessions.get("patient")?.online).toBe(true);
    const closed = nextDisconnect(client);
    clock.advance(2_000);
    expect(await closed).toBe(ReasonCode.KEEP_ALIVE_TIMEOUT);
  });

  it("ends a session when its Session Expiry Interval passed on the broker's clock, not before [MQTT-3.1.2-23]", async () => {
    const clock = new ManualClock();
    const { broker, url } = await startBroker({}, { clock });
    const client = await mqttClient(url, {
      protocolVersion: 5,
      clientId: "expiring",
      clean: false,
      properties: { sessionExpiryInterval: 30 },
    });
    await client.subscribeAsync("exp/#", { qos: 1 });
    await client.endAsync();
    await until(() => broker.sessions.get("expiring")?.online === false);
    clock.advance(29_000);
    expect(broker.sessions.get("expiring")?.filters.has("exp/#")).toBe(true);
    clock.advance(1_000);
    expect(broker.sessions.has("expiring")).toBe(false);
  });

  it("publishes a delayed will when its Will Delay Interval passed on the broker's clock (5.0 section 3.1.3.2.2)", async () => {
    const clock = new ManualClock();
    const { url } = await startBroker({}, { clock });
    const watcher = await mqttClient(url, { protocolVersion: 5 });
    await watcher.subscribeAsync("wd/#", { qos: 1 });
    const dying = await mqttClient(url, {
      protocolVersion: 5,
      clientId: "dying",
      clean: false,
      properties: { sessionExpiryInterval: 300 },
      will: {
        topic: "wd/dying",
        payload: Buffer.from("gone"),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 10 },
      },
    });
    (dying as unknown as { stream: { destroy(): void } }).stream.destroy();
    // Real time passes, the broker's clock does not: no will yet.
    expect(await collectFor(watcher, 300)).toEqual([]);
    const got = nextMessages(watcher, 1);
    clock.advance(10_000);
    expect((await got)[0]!.slice(0, 2)).toEqual(["wd/dying", "gone"]);
  });
});
