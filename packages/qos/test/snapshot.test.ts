import { PacketType, type PublishPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  InvalidSnapshotError,
  PacketIdAllocator,
  publishPacketOf,
  QosReceiver,
  QosSender,
  type SenderSnapshot,
  UnsupportedSnapshotVersionError,
} from "../src/index.js";
import { message, sent } from "./helpers/actions.js";

const viaJson = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

function senderWithHistory() {
  const sender = new QosSender({ protocolVersion: 5, maxInFlight: 3 });
  sender.connected({ sessionPresent: false }, 0);
  sender.publish(message(1, 1), 0);
  sender.publish(
    {
      topic: "req",
      payload: new Uint8Array([9, 8, 7]),
      qos: 2,
      retain: true,
      properties: {
        correlationData: new Uint8Array([0xff, 0]),
        userProperties: [["k", "v"]],
        contentType: "x",
      },
    },
    0,
  );
  sender.publish(message(3, 2), 0);
  sender.publish(message(4, 1), 0);
  sender.receive({ type: PacketType.PUBREC, packetId: 3 }, 0);
  sender.connectionLost(1);
  return sender;
}

describe("QosSender snapshots", () => {
  it("survive JSON and resend exactly what the original sender resends [MQTT-4.4.0-1]", () => {
    const original = senderWithHistory();
    const snapshot = original.snapshot();
    expect(snapshot.version).toBe(1);
    const restored = QosSender.restore(viaJson(snapshot), { protocolVersion: 5, maxInFlight: 3 });
    expect(restored.inFlightCount).toBe(3);
    expect(restored.queuedCount).toBe(1);
    const fromOriginal = original.connected({ sessionPresent: true }, 2);
    const fromRestored = restored.connected({ sessionPresent: true }, 2);
    expect(fromRestored).toEqual(fromOriginal);
    const carried = sent(fromRestored).find(
      (p) => p.type === PacketType.PUBLISH && p.topic === "req",
    ) as PublishPacket;
    expect(carried.properties?.correlationData).toEqual(new Uint8Array([0xff, 0]));
    expect(carried).toMatchObject({ retain: true, dup: true, payload: new Uint8Array([9, 8, 7]) });
  });

  it("keep payloads as base64 strings, so the snapshot is plain JSON", () => {
    const snapshot = senderWithHistory().snapshot();
    expect(snapshot.inFlight[0]?.message.payload).toEqual({ $base64: "AQA=" });
    expect(viaJson(snapshot)).toEqual(snapshot);
  });

  it("claim their packet ids in the allocator and refuse ids already taken there", () => {
    const snapshot = senderWithHistory().snapshot();
    const packetIds = new PacketIdAllocator();
    QosSender.restore(snapshot, { protocolVersion: 5, packetIds });
    expect(packetIds.idsInUse()).toEqual([1, 2, 3]);
    expect(() => QosSender.restore(snapshot, { protocolVersion: 5, packetIds })).toThrow(
      InvalidSnapshotError,
    );
    const partly = new PacketIdAllocator();
    partly.claim(3);
    expect(() => QosSender.restore(snapshot, { protocolVersion: 5, packetIds: partly })).toThrow(
      InvalidSnapshotError,
    );
    expect(partly.idsInUse()).toEqual([3]);
  });

  it("continue numbering messages after the restored ones", () => {
    const restored = QosSender.restore(senderWithHistory().snapshot(), { protocolVersion: 5 });
    expect(restored.publish(message(5), 3)[0]).toEqual({ kind: "accepted", seq: 5 });
  });

  it("continue packet ids where the original left off, so a just-freed id is not reused at once after a restart [MQTT-2.2.1-3]", () => {
    const original = new QosSender({ protocolVersion: 5 });
    original.connected({ sessionPresent: false }, 0);
    const [, first] = original.publish(message(1), 0);
    const id = (first as { packet: PublishPacket }).packet.packetId!;
    original.receive({ type: PacketType.PUBACK, packetId: id, reasonCode: 0 }, 1); // id is free again
    const snapshot = viaJson(original.snapshot()) as SenderSnapshot;
    expect(snapshot.nextPacketId).toBe(id + 1);
    const restored = QosSender.restore(snapshot, { protocolVersion: 5 });
    restored.connected({ sessionPresent: true }, 2);
    const [, next] = restored.publish(message(2), 2);
    expect((next as { packet: PublishPacket }).packet.packetId).toBe(id + 1);
    // Snapshots written before the field existed still restore.
    const { nextPacketId: _dropped, ...older } = snapshot;
    expect(() => QosSender.restore(older, { protocolVersion: 5 })).not.toThrow();
  });

  it("with an unknown version are refused with UnsupportedSnapshotVersionError carrying the version", () => {
    const snapshot = { ...senderWithHistory().snapshot(), version: 2 };
    const error = catchError(() => QosSender.restore(snapshot, { protocolVersion: 5 }));
    expect(error).toBeInstanceOf(UnsupportedSnapshotVersionError);
    expect(error).toMatchObject({ name: "UnsupportedSnapshotVersionError", version: 2, supported: [1] });
  });

  it("with malformed content are refused with InvalidSnapshotError", () => {
    const good = viaJson(senderWithHistory().snapshot()) as SenderSnapshot;
    const broken: unknown[] = [
      null,
      { ...good, kind: "qos-receiver" },
      { ...good, inFlight: "no" },
      { ...good, nextSeq: 2 },
      { ...good, inFlight: [{ ...good.inFlight[0], stage: "pubrel" }] },
      {
        ...good,
        waiting: [{ seq: 4, message: { topic: "t", payload: { $base64: "%%" }, qos: 1, retain: false } }],
      },
    ];
    for (const snapshot of broken) {
      expect(() => QosSender.restore(snapshot, { protocolVersion: 5 })).toThrow(InvalidSnapshotError);
    }
  });
});

describe("QosReceiver snapshots", () => {
  it("keep the QoS 2 ids waiting for PUBREL, so a resent PUBLISH is still not delivered twice [MQTT-4.3.3-10]", () => {
    const receiver = new QosReceiver({ protocolVersion: 5 });
    receiver.connected(0);
    const publish = publishPacketOf({ topic: "t", payload: new Uint8Array(), qos: 2 }, false, 12);
    receiver.receive(publish, 0);
    const restored = QosReceiver.restore(viaJson(receiver.snapshot()), { protocolVersion: 5 });
    restored.connected(1);
    expect(restored.receive({ ...publish, dup: true }, 1)).toEqual([
      { kind: "send", packet: { type: PacketType.PUBREC, packetId: 12 } },
    ]);
  });

  it("with an unknown version or bad ids are refused with typed errors", () => {
    expect(() =>
      QosReceiver.restore(
        { version: "1", kind: "qos-receiver", awaitingRelease: [] },
        { protocolVersion: 5 },
      ),
    ).toThrow(UnsupportedSnapshotVersionError);
    for (const awaitingRelease of [[0], [65_536], [3, 3], "1"]) {
      expect(() =>
        QosReceiver.restore({ version: 1, kind: "qos-receiver", awaitingRelease }, { protocolVersion: 5 }),
      ).toThrow(InvalidSnapshotError);
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}
