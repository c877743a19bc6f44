// The broker on an injected clock (keep alive, session expiry, will delay in
// virtual time), over the memory harness.
import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import type { Clock, TimerHandle } from "../../src/core/timers.js";
import { disconnected } from "../harness/events.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { expectNothingPending, receiveOne, sendPublish, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";

/**
 * A clock whose time moves only when told: timers fire in deadline order,
 * synchronously, inside `advance`. A unit-test fake of our own clock seam;
 * the brokers and the MQTT peers around it are real.
 */
class ManualClock implements Clock {
  private t = 1_000_000;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= end && (first === undefined || entry[1].at < first[1].at)) first = entry;
      if (first === undefined) break;
      this.timers.delete(first[0]);
      this.t = Math.max(this.t, first[1].at);
      first[1].fn();
    }
    this.t = end;
  }
}

/** The reason code of the next packet, which must be the broker's DISCONNECT. */
async function nextDisconnect(peer: MqttPeer): Promise<number | undefined> {
  return (await peer.expect("disconnect")).reasonCode;
}

describe("the broker on an injected clock", () => {
  it("gives each broker in a process its own timer wheel: a keep alive expires only on the broker whose clock moved [MQTT-3.1.2-22]", async () => {
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = await startMemoryBroker({}, { clock: clockA });
    const b = await startMemoryBroker({}, { clock: clockB });
    const { peer: onA } = await MqttPeer.connected(a, "on-a", { keepAlive: 60 });
    const { peer: onB } = await MqttPeer.connected(b, "on-b", { keepAlive: 60 });

    // 1.5 times the keep alive of silence on A's clock: A closes its client with 0x8D.
    clockA.advance(91_000);
    expect(await nextDisconnect(onA)).toBe(ReasonCode.KEEP_ALIVE_TIMEOUT);
    await until(() => a.sessions.get("on-a")?.online !== true);

    // B's clock did not move: its client is still served (a round trip through B proves it).
    expect(b.sessions.get("on-b")?.online).toBe(true);
    await subscribe(onB, { "still/here": 1 });
    // Our own message comes back, and its PUBACK: in either order.
    const id = sendPublish(onB, "still/here", "yes", { qos: 1 });
    const both = [await onB.next(), await onB.next()];
    const delivered = both.find((p) => p.type === PacketType.PUBLISH);
    expect(both.find((p) => p.type === PacketType.PUBACK)?.packetId).toBe(id);
    expect(
      delivered === undefined ? [] : [delivered.topic, new TextDecoder().decode(delivered.payload)],
    ).toEqual(["still/here", "yes"]);
    onB.send({ type: PacketType.PUBACK, packetId: delivered!.packetId! });

    // Now B's clock moves, and B closes its client the same way.
    clockB.advance(91_000);
    expect(await nextDisconnect(onB)).toBe(ReasonCode.KEEP_ALIVE_TIMEOUT);
  });

  it("does not close a client before 1.5 times its keep alive passed on the broker's clock [MQTT-3.1.2-22]", async () => {
    const clock = new ManualClock();
    const broker = await startMemoryBroker({}, { clock });
    const { peer: client } = await MqttPeer.connected(broker, "patient", { keepAlive: 60 });
    clock.advance(89_000);
    // Real time for a wrongly fired timer's DISCONNECT to arrive (any packet, even a PINGREQ, would reset the keep alive).
    await new Promise((r) => setTimeout(r, 100));
    expect(client.received.slice(1)).toEqual([]);
    expect(broker.sessions.get("patient")?.online).toBe(true);
    clock.advance(2_000);
    expect(await nextDisconnect(client)).toBe(ReasonCode.KEEP_ALIVE_TIMEOUT);
  });

  it("ends a session when its Session Expiry Interval passed on the broker's clock, not before [MQTT-3.1.2-23]", async () => {
    const clock = new ManualClock();
    const broker = await startMemoryBroker({}, { clock });
    const { peer: client } = await MqttPeer.connected(broker, "expiring", {
      clean: false,
      properties: { sessionExpiryInterval: 30 },
    });
    await subscribe(client, { "exp/#": 1 });
    await client.disconnect();
    await until(() => broker.sessions.get("expiring")?.online === false);
    clock.advance(29_000);
    expect(broker.sessions.get("expiring")?.filters.has("exp/#")).toBe(true);
    clock.advance(1_000);
    expect(broker.sessions.has("expiring")).toBe(false);
  });

  it("publishes a delayed will when its Will Delay Interval passed on the broker's clock (5.0 section 3.1.3.2.2)", async () => {
    const clock = new ManualClock();
    const broker = await startMemoryBroker({}, { clock });
    const { peer: watcher } = await MqttPeer.connected(broker, "watcher");
    await subscribe(watcher, { "wd/#": 1 });
    const { peer: dying } = await MqttPeer.connected(broker, "dying", {
      clean: false,
      properties: { sessionExpiryInterval: 300 },
      will: {
        topic: "wd/dying",
        payload: new TextEncoder().encode("gone"),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 10 },
      },
    });
    const gone = disconnected(broker, "dying");
    dying.drop();
    await gone;
    // The broker handled the drop, its clock did not move: no will yet.
    await expectNothingPending(watcher);
    clock.advance(10_000);
    expect((await receiveOne(watcher)).slice(0, 2)).toEqual(["wd/dying", "gone"]);
  });
});
