import { encode, PacketType } from "@amqtt/codec";
import type { SendAction } from "@amqtt/session";
import { describe, expect, it } from "vitest";
import { type GatedConnection, ReleaseGate } from "../../src/core/release-gate.js";

/** A PUBREL send action for `packetId`. */
function pubrel(packetId: number): SendAction {
  const packet = { type: PacketType.PUBREL, packetId } as const;
  return { kind: "send", packet, bytes: encode(packet, 5) };
}

/**
 * A connection recording the packet ids it was handed, and a store whose saves the
 * test settles. The host coalesces saves per synchronous run as the broker's
 * `SessionSaver.saveAtTurnEnd` does (one promise for every request of a run).
 */
function setup() {
  const sent: number[] = [];
  const conn: GatedConnection & { closed: boolean } = {
    closed: false,
    sendHeld: (actions) => {
      for (const a of actions) sent.push((a.packet as { packetId: number }).packetId);
    },
  };
  const saves: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const failures: unknown[] = [];
  let stored = true;
  let thisRun: Promise<boolean> | undefined;
  const gate = new ReleaseGate<typeof conn>({
    saveAtTurnEnd: () => {
      if (thisRun !== undefined) return thisRun;
      const run = Promise.resolve().then(() =>
        stored
          ? new Promise<boolean>((resolve, reject) => saves.push({ resolve: () => resolve(true), reject }))
          : false,
      );
      thisRun = run;
      queueMicrotask(() => {
        if (thisRun === run) thisRun = undefined;
      });
      return run;
    },
    flush: () => Promise.resolve(),
    onFailure: (_conn, error) => failures.push(error),
  });
  return { gate, conn, sent, saves, failures, notStored: () => (stored = false) };
}

/** Let every queued microtask run (no I/O, no timers in between). */
async function microtasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const turn = () => new Promise((r) => setTimeout(r, 0));

describe("the PUBRELs a QoS 2 sender holds until its stored session says pubrel", () => {
  it("saves once for every PUBREL of a turn and sends them after the save, in order", async () => {
    const { gate, conn, sent, saves } = setup();
    gate.hold(conn, pubrel(1));
    gate.hold(conn, pubrel(2));
    await turn();
    expect(saves).toHaveLength(1);
    expect(sent).toEqual([]);
    saves[0]!.resolve();
    await turn();
    expect(sent).toEqual([1, 2]);
  });

  it("keeps a later turn's PUBRELs behind an earlier save that is slower [MQTT-4.6.0-3]", async () => {
    const { gate, conn, sent, saves } = setup();
    gate.hold(conn, pubrel(1));
    await turn();
    gate.hold(conn, pubrel(2));
    await turn();
    expect(saves).toHaveLength(2);
    saves[1]!.resolve();
    await turn();
    expect(sent).toEqual([]);
    saves[0]!.resolve();
    await turn();
    expect(sent).toEqual([1, 2]);
  });

  it("sends nothing and reports the failure when the save fails", async () => {
    const { gate, conn, sent, saves, failures } = setup();
    gate.hold(conn, pubrel(7));
    await turn();
    saves[0]!.reject(new Error("disk full"));
    await turn();
    expect(sent).toEqual([]);
    expect(failures).toHaveLength(1);
  });

  it("sends within the same turn when the session is not stored, and nothing once the connection closed", async () => {
    const { gate, conn, sent, notStored } = setup();
    notStored();
    gate.hold(conn, pubrel(3));
    await microtasks();
    expect(sent).toEqual([3]);
    conn.closed = true;
    gate.hold(conn, pubrel(4));
    await turn();
    expect(sent).toEqual([3]);
  });

  it("starts a new batch for a PUBREL held after its run's save took its snapshot", async () => {
    const { gate, conn, sent, saves } = setup();
    gate.hold(conn, pubrel(1));
    await microtasks();
    // The first save is under way (its snapshot predates this PUBREC): a second save.
    gate.hold(conn, pubrel(2));
    await microtasks();
    expect(saves).toHaveLength(2);
    saves[0]!.resolve();
    await microtasks();
    expect(sent).toEqual([1]);
    saves[1]!.resolve();
    await microtasks();
    expect(sent).toEqual([1, 2]);
  });
});
