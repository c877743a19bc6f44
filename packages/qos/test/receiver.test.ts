import { PacketType, type PublishPacket, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { QosReceiver } from "../src/index.js";
import { ManualClock, ofKind, sent } from "./helpers/actions.js";

function publish(packetId: number, qos: 0 | 1 | 2, dup = false): PublishPacket {
  const packet: PublishPacket = {
    type: PacketType.PUBLISH,
    topic: "t",
    payload: new Uint8Array([packetId]),
    qos,
    retain: false,
    dup,
  };
  if (qos > 0) packet.packetId = packetId;
  return packet;
}
const pubrel = (packetId: number) => ({ type: PacketType.PUBREL, packetId }) as const;

function online(options: { protocolVersion?: 4 | 5; receiveMaximum?: number } = {}) {
  const clock = new ManualClock();
  const receiver = new QosReceiver({
    protocolVersion: options.protocolVersion ?? 5,
    receiveMaximum: options.receiveMaximum,
  });
  receiver.connected(clock.now);
  return { receiver, clock };
}

describe("QosReceiver, QoS 0 and 1", () => {
  it("delivers QoS 0 and sends nothing back", () => {
    const { receiver, clock } = online();
    const packet = publish(0, 0);
    expect(receiver.receive(packet, clock.now)).toEqual([{ kind: "deliver", packet }]);
  });

  it("delivers QoS 1, then answers with a PUBACK carrying its id [MQTT-4.3.2-4]", () => {
    const { receiver, clock } = online();
    const packet = publish(5, 1);
    expect(receiver.receive(packet, clock.now)).toEqual([
      { kind: "deliver", packet },
      { kind: "send", packet: { type: PacketType.PUBACK, packetId: 5 } },
    ]);
  });

  it("appends its actions to the list it is given and returns that list (PUBLISH and PUBREL)", () => {
    const { receiver, clock } = online();
    const packet = publish(5, 1);
    const into: ReturnType<QosReceiver["receive"]> = [];
    expect(receiver.receive(packet, clock.now, undefined, into)).toBe(into);
    expect(into).toEqual([
      { kind: "deliver", packet },
      { kind: "send", packet: { type: PacketType.PUBACK, packetId: 5 } },
    ]);
    const released: ReturnType<QosReceiver["receive"]> = [];
    receiver.receive(publish(6, 2), clock.now);
    expect(receiver.receive(pubrel(6), clock.now, undefined, released)).toBe(released);
    expect(released).toEqual([{ kind: "send", packet: { type: PacketType.PUBCOMP, packetId: 6 } }]);
  });

  it("treats a QoS 1 PUBLISH with an id already acknowledged as a new message, DUP or not [MQTT-4.3.2-5]", () => {
    const { receiver, clock } = online();
    receiver.receive(publish(5, 1), clock.now);
    expect(ofKind(receiver.receive(publish(5, 1, true), clock.now), "deliver")).toHaveLength(1);
  });

  it("sends PUBACK packets in the order the PUBLISH packets came [MQTT-4.6.0-2]", () => {
    const { receiver, clock } = online();
    const acks = [3, 1, 2].flatMap((id) => sent(receiver.receive(publish(id, 1), clock.now)));
    expect(acks.map((p) => ("packetId" in p ? p.packetId : 0))).toEqual([3, 1, 2]);
  });

  it("5.0: refuses a QoS 1 message with the given reason code and does not deliver it", () => {
    const { receiver, clock } = online();
    expect(receiver.receive(publish(5, 1), clock.now, { reasonCode: ReasonCode.NOT_AUTHORIZED })).toEqual([
      { kind: "send", packet: { type: PacketType.PUBACK, packetId: 5, reasonCode: 0x87 } },
    ]);
  });

  it("5.0: passes a success reason code such as 0x10 No matching subscribers into the ack and still delivers", () => {
    const { receiver, clock } = online();
    const packet = publish(5, 2);
    expect(receiver.receive(packet, clock.now, { reasonCode: ReasonCode.NO_MATCHING_SUBSCRIBERS })).toEqual([
      { kind: "deliver", packet },
      { kind: "send", packet: { type: PacketType.PUBREC, packetId: 5, reasonCode: 0x10 } },
    ]);
  });

  it("3.1.1: a refused message is not delivered and still gets a plain PUBACK [MQTT-4.5.0-2]", () => {
    const { receiver, clock } = online({ protocolVersion: 4 });
    expect(receiver.receive(publish(5, 1), clock.now, { reasonCode: 0x87 })).toEqual([
      { kind: "send", packet: { type: PacketType.PUBACK, packetId: 5 } },
    ]);
  });
});

describe("QosReceiver, QoS 2 (Method B)", () => {
  it("delivers on the first PUBLISH and answers PUBREC with its id [MQTT-4.3.3-8]", () => {
    const { receiver, clock } = online();
    const packet = publish(7, 2);
    expect(receiver.receive(packet, clock.now)).toEqual([
      { kind: "deliver", packet },
      { kind: "send", packet: { type: PacketType.PUBREC, packetId: 7 } },
    ]);
    expect(receiver.awaitingReleaseCount).toBe(1);
  });

  it("answers a PUBLISH resent before PUBREL with PUBREC and does not deliver it again [MQTT-4.3.3-10]", () => {
    const { receiver, clock } = online();
    receiver.receive(publish(7, 2), clock.now);
    expect(receiver.receive(publish(7, 2, true), clock.advance(10))).toEqual([
      { kind: "send", packet: { type: PacketType.PUBREC, packetId: 7 } },
    ]);
  });

  it("keeps the id across a reconnect, so the PUBLISH resent then is not delivered twice [MQTT-4.3.3-10]", () => {
    const { receiver, clock } = online();
    receiver.receive(publish(7, 2), clock.now);
    receiver.connectionLost(clock.advance(5));
    receiver.connected(clock.advance(5));
    expect(ofKind(receiver.receive(publish(7, 2, true), clock.now), "deliver")).toEqual([]);
  });

  it("answers PUBREL with PUBCOMP of the same id and then treats the id as new [MQTT-4.3.3-11] [MQTT-4.3.3-12]", () => {
    const { receiver, clock } = online();
    receiver.receive(publish(7, 2), clock.now);
    expect(receiver.receive(pubrel(7), clock.now)).toEqual([
      { kind: "send", packet: { type: PacketType.PUBCOMP, packetId: 7 } },
    ]);
    expect(receiver.awaitingReleaseCount).toBe(0);
    expect(ofKind(receiver.receive(publish(7, 2), clock.now), "deliver")).toHaveLength(1);
  });

  it("5.0: answers a PUBREL for an unknown id with PUBCOMP 0x92 Packet Identifier not found", () => {
    const { receiver, clock } = online();
    expect(receiver.receive(pubrel(9), clock.now)).toEqual([
      { kind: "send", packet: { type: PacketType.PUBCOMP, packetId: 9, reasonCode: 0x92 } },
    ]);
  });

  it("3.1.1: answers a PUBREL for an unknown id with a plain PUBCOMP", () => {
    const { receiver, clock } = online({ protocolVersion: 4 });
    expect(receiver.receive(pubrel(9), clock.now)).toEqual([
      { kind: "send", packet: { type: PacketType.PUBCOMP, packetId: 9 } },
    ]);
  });

  it("5.0: after a failing PUBREC, a PUBLISH with that id is a new message [MQTT-4.3.3-9]", () => {
    const { receiver, clock } = online();
    expect(receiver.receive(publish(7, 2), clock.now, { reasonCode: ReasonCode.QUOTA_EXCEEDED })).toEqual([
      { kind: "send", packet: { type: PacketType.PUBREC, packetId: 7, reasonCode: 0x97 } },
    ]);
    expect(receiver.awaitingReleaseCount).toBe(0);
    expect(ofKind(receiver.receive(publish(7, 2), clock.now), "deliver")).toHaveLength(1);
  });

  it("sends PUBREC packets in the order the PUBLISH packets came [MQTT-4.6.0-3]", () => {
    const { receiver, clock } = online();
    const acks = [4, 2, 9].flatMap((id) => sent(receiver.receive(publish(id, 2), clock.now)));
    expect(acks.map((p) => ("packetId" in p ? p.packetId : 0))).toEqual([4, 2, 9]);
  });

  it("keeps at most one entry per packet identifier, so never more than 65535", () => {
    const { receiver, clock } = online();
    for (let id = 1; id <= 65_535; id++) receiver.receive(publish(id, 2), clock.now);
    receiver.receive(publish(1, 2, true), clock.now);
    expect(receiver.awaitingReleaseCount).toBe(65_535);
  });
});

describe("QosReceiver, Receive Maximum", () => {
  it("reports a PUBLISH beyond the advertised Receive Maximum and does not process it [MQTT-3.3.4-7] [MQTT-3.3.4-9]", () => {
    const { receiver, clock } = online({ receiveMaximum: 2 });
    receiver.receive(publish(1, 2), clock.now);
    receiver.receive(publish(2, 2), clock.now);
    expect(receiver.receive(publish(3, 2), clock.now)).toEqual([
      { kind: "receiveMaximumExceeded", packetId: 3, receiveMaximum: 2 },
    ]);
    expect(receiver.receive(publish(4, 1), clock.now)).toEqual([
      { kind: "receiveMaximumExceeded", packetId: 4, receiveMaximum: 2 },
    ]);
    expect(receiver.awaitingReleaseCount).toBe(2);
  });

  it("frees a slot when it sends PUBCOMP, and QoS 1 never holds one since PUBACK goes out at once", () => {
    const { receiver, clock } = online({ receiveMaximum: 1 });
    for (let id = 1; id <= 5; id++)
      expect(ofKind(receiver.receive(publish(id, 1), clock.now), "deliver")).toHaveLength(1);
    receiver.receive(publish(6, 2), clock.now);
    receiver.receive(pubrel(6), clock.now);
    expect(ofKind(receiver.receive(publish(7, 2), clock.now), "deliver")).toHaveLength(1);
  });

  it("counts per connection: ids kept from an earlier connection take no slot until resent (section 4.9)", () => {
    const { receiver, clock } = online({ receiveMaximum: 1 });
    receiver.receive(publish(1, 2), clock.now);
    receiver.connectionLost(clock.now);
    receiver.connected(clock.now);
    expect(receiver.unacknowledgedCount).toBe(0);
    expect(ofKind(receiver.receive(publish(2, 2), clock.now), "deliver")).toHaveLength(1);
    expect(ofKind(receiver.receive(publish(1, 2, true), clock.now), "receiveMaximumExceeded")).toHaveLength(
      1,
    );
  });

  it("does not count a PUBLISH resent on the same connection twice", () => {
    const { receiver, clock } = online({ protocolVersion: 4, receiveMaximum: 1 });
    receiver.receive(publish(1, 2), clock.now);
    expect(sent(receiver.receive(publish(1, 2, true), clock.now))).toEqual([
      { type: PacketType.PUBREC, packetId: 1 },
    ]);
  });
});

describe("QosReceiver, API misuse", () => {
  it("throws on a Receive Maximum outside 1..65535 and on a QoS 1 PUBLISH without an id", () => {
    expect(() => new QosReceiver({ protocolVersion: 5, receiveMaximum: 0 })).toThrow(RangeError);
    const receiver = new QosReceiver({ protocolVersion: 5 });
    expect(() => receiver.receive({ ...publish(1, 1), packetId: undefined }, 0)).toThrow(TypeError);
  });
});
