import { encode, PacketType } from "@amqtt/codec";
import type { SendAction } from "@amqtt/session";
import { describe, expect, it } from "vitest";
import { type GatedConnection, ReleaseGate } from "../../src/core/release-gate.js";

/** A PUBREL send action for `packetId`. */
function pubrel(packetId: number): SendAction {
  const packet = { type: PacketType.PUBREL, packetId } as const;
  return { kind: "send", packet, bytes: encode(packet, 5) };
}

/** A connection recording the packet ids it was handed, and a store whose saves the test settles. */
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
  const gate = new ReleaseGate<typeof conn>({
    saveLive: () =>
      stored ? new Promise<void>((resolve, reject) => saves.push({ resolve, reject })) : undefined,
    flush: () => Promise.resolve(),
    onFailure: (_conn, error) => failures.push(error),
  });
  return { gate, conn, sent, saves, failures, notStored: () => (stored = false) };
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

  it("sends at once (this turn) when the session is not stored, and nothing once the connection closed", async () => {
    const { gate, conn, sent, notStored } = setup();
    notStored();
    gate.hold(conn, pubrel(3));
    await Promise.resolve();
    expect(sent).toEqual([3]);
    conn.closed = true;
    gate.hold(conn, pubrel(4));
    await turn();
    expect(sent).toEqual([3]);
  });
});
