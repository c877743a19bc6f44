import { PacketType, type PublishPacket, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  PacketIdAllocator,
  QosSender,
  type SenderAction,
} from "../src/index.js";
import { ManualClock, message, ofKind, sent } from "./helpers/actions.js";

function online(options: Partial<ConstructorParameters<typeof QosSender>[0]> = {}, receiveMaximum?: number) {
  const clock = new ManualClock();
  const sender = new QosSender({ protocolVersion: 5, ...options });
  sender.connected({ sessionPresent: false, ...(receiveMaximum ? { receiveMaximum } : {}) }, clock.now);
  return { sender, clock };
}

const puback = (packetId: number, reasonCode?: number) =>
  ({ type: PacketType.PUBACK, packetId, reasonCode }) as const;
const pubrec = (packetId: number, reasonCode?: number) =>
  ({ type: PacketType.PUBREC, packetId, reasonCode }) as const;
const pubcomp = (packetId: number, reasonCode?: number) =>
  ({ type: PacketType.PUBCOMP, packetId, reasonCode }) as const;
const publishes = (actions: SenderAction[]) => sent(actions) as PublishPacket[];

describe("QosSender, QoS 1", () => {
  it("sends a new message with an unused id, QoS 1 and DUP=0 [MQTT-4.3.2-1] [MQTT-4.3.2-2]", () => {
    const { sender, clock } = online();
    const actions = sender.publish(message(1), clock.now);
    expect(actions[0]).toEqual({ kind: "accepted", seq: 1 });
    expect(publishes(actions)).toEqual([
      {
        type: PacketType.PUBLISH,
        topic: "t",
        payload: new Uint8Array([1, 0]),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 1,
      },
    ]);
    const second = publishes(sender.publish(message(2), clock.now));
    expect(second[0]?.packetId).toBe(2);
  });

  it("appends its actions to the list it is given and returns that list", () => {
    const { sender, clock } = online();
    const into: SenderAction[] = [{ kind: "accepted", seq: 0 }];
    expect(sender.publish(message(1), clock.now, into)).toBe(into);
    expect(into.map((a) => a.kind)).toEqual(["accepted", "accepted", "send"]);
    const acks: SenderAction[] = [];
    expect(sender.receive(puback(1), clock.now, acks)).toBe(acks);
    expect(acks).toEqual([{ kind: "completed", seq: 1, packetId: 1, qos: 1, reasonCode: 0 }]);
  });

  it("keeps the message unacknowledged until PUBACK, then completes it and frees the id [MQTT-4.3.2-3]", () => {
    const { sender, clock } = online();
    sender.publish(message(1), clock.now);
    expect(sender.inFlightCount).toBe(1);
    expect(sender.packetIds.isInUse(1)).toBe(true);
    clock.advance(1000);
    expect(sender.receive(puback(1), clock.now)).toEqual([
      { kind: "completed", seq: 1, packetId: 1, qos: 1, reasonCode: 0 },
    ]);
    expect(sender.inFlightCount).toBe(0);
    expect(sender.packetIds.isInUse(1)).toBe(false);
  });

  it("5.0: a PUBACK with a reason code of 0x80 or more fails the flow and it is never resent [MQTT-4.4.0-2]", () => {
    const { sender, clock } = online();
    sender.publish(message(1), clock.now);
    expect(sender.receive(puback(1, ReasonCode.NOT_AUTHORIZED), clock.now)).toEqual([
      { kind: "failed", seq: 1, packetId: 1, qos: 1, reasonCode: 0x87 },
    ]);
    expect(sender.windowUsed).toBe(0);
    sender.connectionLost(clock.now);
    expect(sent(sender.connected({ sessionPresent: true }, clock.now))).toEqual([]);
  });

  it("3.1.1: reason codes do not exist, so any PUBACK completes the flow", () => {
    const { sender, clock } = online({ protocolVersion: 4 });
    sender.publish(message(1), clock.now);
    expect(ofKind(sender.receive(puback(1, 0x87), clock.now), "completed")).toHaveLength(1);
  });
});

describe("QosSender, QoS 2", () => {
  it("answers PUBREC with a PUBREL of the same id and completes on PUBCOMP [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.3.3-4] [MQTT-4.3.3-5]", () => {
    const { sender, clock } = online();
    const [publish] = publishes(sender.publish(message(1, 2), clock.now));
    expect(publish).toMatchObject({ qos: 2, dup: false, packetId: 1 });
    expect(sent(sender.receive(pubrec(1), clock.now))).toEqual([{ type: PacketType.PUBREL, packetId: 1 }]);
    expect(sender.packetIds.isInUse(1)).toBe(true);
    expect(sender.windowUsed).toBe(1);
    expect(sender.receive(pubcomp(1), clock.now)).toEqual([
      { kind: "completed", seq: 1, packetId: 1, qos: 2, reasonCode: 0 },
    ]);
    expect(sender.packetIds.isInUse(1)).toBe(false);
    expect(sender.windowUsed).toBe(0);
  });

  it("5.0: a PUBREC of 0x80 or more ends the flow without PUBREL and frees id and slot [MQTT-4.3.3-4] [MQTT-4.4.0-2]", () => {
    const { sender, clock } = online({}, 1);
    sender.publish(message(1, 2), clock.now);
    const waiting = sender.publish(message(2, 2), clock.now);
    expect(sent(waiting)).toEqual([]);
    const actions = sender.receive(pubrec(1, ReasonCode.QUOTA_EXCEEDED), clock.now);
    expect(actions[0]).toEqual({ kind: "failed", seq: 1, packetId: 1, qos: 2, reasonCode: 0x97 });
    expect(sent(actions)).toEqual([expect.objectContaining({ type: PacketType.PUBLISH, packetId: 2 })]);
    expect(sender.packetIds.isInUse(1)).toBe(false);
  });

  it("sends PUBREL even when the window is full: only PUBLISH waits for quota [MQTT-3.3.4-8] [MQTT-4.9.0-3]", () => {
    const { sender, clock } = online({}, 1);
    sender.publish(message(1, 2), clock.now);
    sender.publish(message(2, 2), clock.now);
    expect(sent(sender.receive(pubrec(1), clock.now))).toEqual([{ type: PacketType.PUBREL, packetId: 1 }]);
  });

  it("reports a PUBCOMP of 0x92 as completed with that code: the receiver owned the message since PUBREC", () => {
    const { sender, clock } = online();
    sender.publish(message(1, 2), clock.now);
    sender.receive(pubrec(1), clock.now);
    expect(ofKind(sender.receive(pubcomp(1, 0x92), clock.now), "completed")[0]?.reasonCode).toBe(0x92);
  });
});

describe("QosSender, unexpected acknowledgements", () => {
  it("reports an ack for an unknown id instead of throwing", () => {
    const { sender, clock } = online();
    expect(sender.receive(puback(9), clock.now)).toEqual([
      { kind: "unexpectedAck", reason: "unknown-packet-id", packet: puback(9) },
    ]);
  });

  it("reports an ack for the wrong stage and leaves the flow as it was", () => {
    const { sender, clock } = online();
    sender.publish(message(1, 2), clock.now);
    sender.publish(message(2, 1), clock.now);
    expect(ofKind(sender.receive(puback(1), clock.now), "unexpectedAck")[0]?.reason).toBe("wrong-stage");
    expect(ofKind(sender.receive(pubcomp(1), clock.now), "unexpectedAck")[0]?.reason).toBe("wrong-stage");
    expect(ofKind(sender.receive(pubrec(2), clock.now), "unexpectedAck")[0]?.reason).toBe("wrong-stage");
    sender.receive(pubrec(1), clock.now);
    expect(ofKind(sender.receive(pubrec(1), clock.now), "unexpectedAck")[0]?.reason).toBe("wrong-stage");
    expect(sender.inFlightCount).toBe(2);
  });
});

describe("QosSender, flow control", () => {
  it("never has more PUBLISH packets unacknowledged than the Receive Maximum [MQTT-4.9.0-1] [MQTT-4.9.0-2] [MQTT-3.3.4-7]", () => {
    const { sender, clock } = online({}, 2);
    const all = [1, 2, 3, 4].flatMap((n) => sender.publish(message(n), clock.now));
    expect(publishes(all).map((p) => p.packetId)).toEqual([1, 2]);
    expect(sender.windowUsed).toBe(2);
    expect(sender.queuedCount).toBe(2);
    expect(publishes(sender.receive(puback(2), clock.now)).map((p) => p.packetId)).toEqual([3]);
    expect(sender.windowUsed).toBe(2);
  });

  it("uses the smaller of its own maxInFlight and the peer's Receive Maximum", () => {
    const { sender } = online({ maxInFlight: 3 }, 10);
    expect(sender.windowSize).toBe(3);
  });

  it("waits for a free packet identifier when all are in use, and sends when one is released", () => {
    const packetIds = new PacketIdAllocator({ maxId: 2 });
    const { sender, clock } = online({ packetIds });
    const all = [1, 2, 3].flatMap((n) => sender.publish(message(n), clock.now));
    expect(publishes(all).map((p) => p.packetId)).toEqual([1, 2]);
    expect(sender.queuedCount).toBe(1);
    expect(publishes(sender.receive(puback(1), clock.now)).map((p) => p.packetId)).toEqual([1]);
  });

  it("skips ids the session took for SUBSCRIBE from the shared allocator [MQTT-2.2.1-3]", () => {
    const packetIds = new PacketIdAllocator();
    packetIds.claim(1);
    const { sender, clock } = online({ packetIds });
    expect(publishes(sender.publish(message(1), clock.now))[0]?.packetId).toBe(2);
  });
});

describe("QosSender, the waiting queue", () => {
  it("keeps messages published while offline and sends them, DUP=0, once connected", () => {
    const clock = new ManualClock();
    const sender = new QosSender({ protocolVersion: 5 });
    expect(sender.publish(message(1), clock.now)).toEqual([{ kind: "accepted", seq: 1 }]);
    const actions = sender.connected({ sessionPresent: false }, clock.advance(5));
    expect(publishes(actions)).toEqual([expect.objectContaining({ packetId: 1, dup: false })]);
  });

  it("rejects a new message when the count bound is reached under reject-new", () => {
    const sender = new QosSender({ protocolVersion: 5, maxQueuedMessages: 2 });
    sender.publish(message(1), 0);
    sender.publish(message(2), 0);
    const third = message(3);
    expect(sender.publish(third, 0)).toEqual([{ kind: "rejected", reason: "queue-full", message: third }]);
    expect(sender.queuedCount).toBe(2);
  });

  it("evicts the oldest waiting message and says so under drop-oldest", () => {
    const sender = new QosSender({ protocolVersion: 5, maxQueuedMessages: 2, overflow: "drop-oldest" });
    const first = message(1);
    sender.publish(first, 0);
    sender.publish(message(2), 0);
    expect(sender.publish(message(3), 0)).toEqual([
      { kind: "dropped", seq: 1, reason: "queue-full", message: first },
      { kind: "accepted", seq: 3 },
    ]);
    const resent = publishes(sender.connected({ sessionPresent: false }, 0));
    expect(resent.map((p) => p.payload[0])).toEqual([2, 3]);
  });

  it("bounds the waiting bytes (payload plus topic) and refuses a message larger than the bound", () => {
    const sender = new QosSender({ protocolVersion: 5, maxQueuedBytes: 10 });
    const big = { topic: "t", payload: new Uint8Array(10), qos: 1 as const };
    expect(sender.publish(big, 0)).toEqual([{ kind: "rejected", reason: "too-large", message: big }]);
    sender.publish({ topic: "t", payload: new Uint8Array(6), qos: 1 }, 0);
    expect(sender.queuedBytes).toBe(7);
    expect(
      ofKind(sender.publish({ topic: "t", payload: new Uint8Array(3), qos: 1 }, 0), "rejected"),
    ).toHaveLength(1);
    expect(
      ofKind(sender.publish({ topic: "t", payload: new Uint8Array(2), qos: 1 }, 0), "accepted"),
    ).toHaveLength(1);
  });

  it(`holds at most ${DEFAULT_MAX_QUEUED_MESSAGES} waiting messages by default`, () => {
    const sender = new QosSender({ protocolVersion: 5 });
    for (let n = 0; n < DEFAULT_MAX_QUEUED_MESSAGES; n++) sender.publish(message(n), 0);
    expect(ofKind(sender.publish(message(0), 0), "rejected")).toHaveLength(1);
    expect(sender.queuedCount).toBe(DEFAULT_MAX_QUEUED_MESSAGES);
  });

  it("holds at most 16 MiB of waiting messages by default", () => {
    const sender = new QosSender({ protocolVersion: 5 });
    const payload = new Uint8Array(DEFAULT_MAX_QUEUED_BYTES);
    expect(ofKind(sender.publish({ topic: "t", payload, qos: 1 }, 0), "rejected")[0]?.reason).toBe(
      "too-large",
    );
  });

  it("takes no messages to wait when maxQueuedMessages is 0", () => {
    const sender = new QosSender({ protocolVersion: 5, maxQueuedMessages: 0 });
    expect(ofKind(sender.publish(message(1), 0), "rejected")[0]?.reason).toBe("queue-full");
  });
});

describe("QosSender, reconnect", () => {
  function withFlowsInEveryStage() {
    const { sender, clock } = online();
    sender.publish(message(1, 1), clock.now);
    sender.publish(message(2, 2), clock.now);
    sender.publish(message(3, 2), clock.now);
    sender.publish(message(4, 1), clock.now);
    sender.receive(pubrec(2), clock.now);
    sender.connectionLost(clock.advance(100));
    return { sender, clock };
  }

  it("resends unacknowledged PUBLISH with DUP=1 and PUBREL, with their ids, in the original order [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-3.3.1-1]", () => {
    const { sender, clock } = withFlowsInEveryStage();
    expect(sent(sender.connected({ sessionPresent: true }, clock.advance(100)))).toEqual([
      expect.objectContaining({ type: PacketType.PUBLISH, packetId: 1, dup: true, qos: 1 }),
      { type: PacketType.PUBREL, packetId: 2 },
      expect.objectContaining({ type: PacketType.PUBLISH, packetId: 3, dup: true, qos: 2 }),
      expect.objectContaining({ type: PacketType.PUBLISH, packetId: 4, dup: true, qos: 1 }),
    ]);
  });

  it("never resends a PUBLISH once its PUBREL was sent [MQTT-4.3.3-6]", () => {
    const { sender, clock } = withFlowsInEveryStage();
    const packets = sent(sender.connected({ sessionPresent: true }, clock.now));
    expect(packets.filter((p) => p.type === PacketType.PUBLISH && p.packetId === 2)).toEqual([]);
  });

  it("resends only as many PUBLISH packets as the new Receive Maximum allows, the rest before newer messages", () => {
    const { sender, clock } = withFlowsInEveryStage();
    sender.publish(message(5, 1), clock.now);
    const first = sent(sender.connected({ sessionPresent: true, receiveMaximum: 1 }, clock.now));
    expect(first.map((p) => [p.type, "packetId" in p ? p.packetId : 0])).toEqual([
      [PacketType.PUBLISH, 1],
      [PacketType.PUBREL, 2],
    ]);
    expect(publishes(sender.receive(puback(1), clock.now))).toEqual([
      expect.objectContaining({ packetId: 3, dup: true }),
    ]);
    sender.receive(pubrec(3), clock.now);
    expect(publishes(sender.receive(pubcomp(3), clock.now))).toEqual([
      expect.objectContaining({ packetId: 4, dup: true }),
    ]);
    expect(publishes(sender.receive(puback(4), clock.now))).toEqual([
      expect.objectContaining({ packetId: 5, dup: false }),
    ]);
  });

  it("does not count a resent PUBREL against the new window: its PUBCOMP gives no extra slot (section 4.9)", () => {
    const { sender, clock } = online({}, 1);
    sender.publish(message(1, 2), clock.now);
    sender.receive(pubrec(1), clock.now);
    sender.connectionLost(clock.now);
    sender.connected({ sessionPresent: true, receiveMaximum: 1 }, clock.now);
    expect(sender.windowUsed).toBe(0);
    sender.publish(message(2, 1), clock.now);
    sender.receive(pubcomp(1), clock.now);
    expect(sender.windowUsed).toBe(1);
  });

  it("when the peer lost the session, completes flows past PUBREC and sends the others as they are", () => {
    const { sender, clock } = withFlowsInEveryStage();
    const actions = sender.connected({ sessionPresent: false }, clock.now);
    expect(ofKind(actions, "completed")).toEqual([
      { kind: "completed", seq: 2, packetId: 2, qos: 2, reasonCode: 0 },
    ]);
    expect(publishes(actions).map((p) => p.packetId)).toEqual([1, 3, 4]);
  });

  it("5.0: asks for no timer and resends nothing while connected, however long an ack takes [MQTT-4.4.0-1]", () => {
    const { sender, clock } = online();
    const actions = sender.publish(message(1, 2), clock.now);
    expect(ofKind(actions, "setTimer")).toEqual([]);
    clock.advance(3_600_000);
    expect(sender.timerFired(clock.now)).toEqual([]);
    expect(() => new QosSender({ protocolVersion: 5, retryIntervalMs: 1000 })).toThrow(RangeError);
  });
});

describe("QosSender, 3.1.1 timed retry (opt-in)", () => {
  it("arms a timer on the first send and resends PUBLISH with DUP=1 when an ack is late", () => {
    const { sender, clock } = online({ protocolVersion: 4, retryIntervalMs: 1000 });
    const actions = sender.publish(message(1, 2), clock.now);
    expect(ofKind(actions, "setTimer")).toEqual([{ kind: "setTimer", timer: "retry", delayMs: 1000 }]);
    clock.advance(400);
    sender.publish(message(2, 1), clock.now);
    const retry = sender.timerFired(clock.advance(600));
    expect(publishes(retry)).toEqual([expect.objectContaining({ packetId: 1, dup: true })]);
    expect(ofKind(retry, "setTimer")).toEqual([{ kind: "setTimer", timer: "retry", delayMs: 400 }]);
  });

  it("resends PUBREL when PUBCOMP is late and clears the timer once nothing is outstanding", () => {
    const { sender, clock } = online({ protocolVersion: 4, retryIntervalMs: 1000 });
    sender.publish(message(1, 2), clock.now);
    sender.receive(pubrec(1), clock.advance(100));
    expect(sent(sender.timerFired(clock.advance(1000)))).toEqual([{ type: PacketType.PUBREL, packetId: 1 }]);
    expect(ofKind(sender.receive(pubcomp(1), clock.now), "clearTimer")).toHaveLength(1);
  });

  it("clears the timer when the connection is lost", () => {
    const { sender, clock } = online({ protocolVersion: 4, retryIntervalMs: 1000 });
    sender.publish(message(1), clock.now);
    expect(sender.connectionLost(clock.now)).toEqual([{ kind: "clearTimer", timer: "retry" }]);
  });
});

describe("QosSender, API misuse", () => {
  it("throws on a QoS 0 message: it needs no tracking", () => {
    const sender = new QosSender({ protocolVersion: 5 });
    expect(() => sender.publish({ topic: "t", payload: new Uint8Array(), qos: 0 as 1 }, 0)).toThrow(
      TypeError,
    );
  });

  it("throws on an ack while offline and on a Receive Maximum of 0", () => {
    const sender = new QosSender({ protocolVersion: 5 });
    expect(() => sender.receive(puback(1), 0)).toThrow(Error);
    expect(() => sender.connected({ sessionPresent: false, receiveMaximum: 0 }, 0)).toThrow(RangeError);
  });
});
