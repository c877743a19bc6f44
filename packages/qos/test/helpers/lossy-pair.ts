import { type Packet, PacketType, type PublishPacket, ReasonCode } from "@amqtt/codec";
import { expect } from "vitest";
import {
  PacketIdAllocator,
  QosReceiver,
  QosSender,
  type ReceiverAction,
  type SenderAck,
  type SenderAction,
} from "../../src/index.js";

/** How the simulated world is set up for one run. */
export interface PairConfig {
  protocolVersion: 4 | 5;
  /** Receive Maximum the receiver advertises and the sender honours. */
  receiveMaximum: number;
  /**
   * Whether the receiver enforces it. A wire that duplicates and reorders can show
   * the receiver a stale copy next to newer flows, which looks like a violation the
   * sender did not commit; such runs check the sender's window directly instead.
   */
  receiverEnforces: boolean;
  /** Size of the sender's id space; small values force reuse and exhaustion. */
  maxPacketId: number;
  /** 3.1.1 only: timed resend within a connection, in ms (0 = off). */
  retryIntervalMs: number;
}

/** One step of a run. */
export type Step =
  | { op: "publish"; qos: 1 | 2; refuse: boolean }
  | { op: "toReceiver" }
  | { op: "toSender" }
  | { op: "dropConnection" }
  | { op: "reconnect" }
  | { op: "restartFromSnapshots" }
  | { op: "duplicatePublish" }
  | { op: "swap"; direction: "toReceiver" | "toSender" }
  | { op: "tick"; ms: number };

interface Tracked {
  qos: 1 | 2;
  refuse: boolean;
  deliveries: number;
  outcome: "pending" | "completed" | "failed";
}

/**
 * One QoS sender and one QoS receiver joined by a simulated connection: two FIFO
 * queues of packets, emptied when the connection drops. Every step checks the
 * safety properties; `settle` then heals the connection and checks that nothing
 * was lost.
 */
export class LossyPair {
  private sender: QosSender;
  private receiver: QosReceiver;
  private toReceiver: Packet[] = [];
  private toSender: Packet[] = [];
  private up = false;
  private now = 0;
  private timerDeadline: number | undefined;
  private readonly messages = new Map<number, Tracked>();
  /** Packet id -> seq of the flow holding it, built only from what the sender put on the wire. */
  private readonly idsOnWire = new Map<number, number>();

  constructor(private readonly config: PairConfig) {
    this.sender = this.newSender();
    this.receiver = new QosReceiver(this.receiverOptions());
  }

  run(step: Step): void {
    switch (step.op) {
      case "publish": {
        // Seqs are 1, 2, 3... as nothing is ever rejected here; the payload carries it.
        const seq = this.messages.size + 1;
        const payload = new Uint8Array(4);
        new DataView(payload.buffer).setUint32(0, seq);
        const topic = step.refuse ? "refuse" : "ok";
        const actions = this.sender.publish({ topic, payload, qos: step.qos }, this.now);
        expect(actions[0]).toEqual({ kind: "accepted", seq });
        this.messages.set(seq, { qos: step.qos, refuse: step.refuse, deliveries: 0, outcome: "pending" });
        this.onSender(actions);
        break;
      }
      case "toReceiver": {
        const packet = this.toReceiver.shift();
        if (packet === undefined) break;
        const refuse = packet.type === PacketType.PUBLISH && packet.topic === "refuse";
        this.onReceiver(
          this.receiver.receive(
            packet as PublishPacket,
            this.now,
            refuse ? { reasonCode: ReasonCode.NOT_AUTHORIZED } : {},
          ),
        );
        break;
      }
      case "toSender": {
        const packet = this.toSender.shift();
        if (packet !== undefined) this.onSender(this.sender.receive(packet as SenderAck, this.now));
        break;
      }
      case "dropConnection":
        this.drop();
        break;
      case "reconnect":
        this.connect();
        break;
      case "restartFromSnapshots": {
        // Both ends go down and come back from their persisted state only.
        this.drop();
        const senderState = JSON.parse(JSON.stringify(this.sender.snapshot()));
        const receiverState = JSON.parse(JSON.stringify(this.receiver.snapshot()));
        this.sender = QosSender.restore(senderState, this.senderOptions());
        this.receiver = QosReceiver.restore(receiverState, this.receiverOptions());
        break;
      }
      case "duplicatePublish": {
        // The wire repeats a PUBLISH, as a timed resend would; same-id order is kept.
        const head = this.toReceiver[0];
        if (head?.type === PacketType.PUBLISH) this.toReceiver.unshift({ ...head, dup: true });
        break;
      }
      case "swap": {
        // Reorder two adjacent packets of different flows; packets of one id keep their order.
        const queue = step.direction === "toReceiver" ? this.toReceiver : this.toSender;
        const [a, b] = queue;
        if (a && b && "packetId" in a && "packetId" in b && a.packetId !== b.packetId) {
          queue[0] = b;
          queue[1] = a;
        }
        break;
      }
      case "tick":
        this.now += step.ms;
        if (this.timerDeadline !== undefined && this.timerDeadline <= this.now) {
          this.timerDeadline = undefined;
          this.onSender(this.sender.timerFired(this.now));
        }
        break;
    }
    this.checkSafety();
  }

  /** Heal the connection, run until quiet, and check that every message arrived. */
  settle(): void {
    if (!this.up) this.connect();
    for (let rounds = 0; this.toReceiver.length > 0 || this.toSender.length > 0; rounds++) {
      expect(rounds).toBeLessThan(1_000_000);
      this.run(this.toReceiver.length > 0 ? { op: "toReceiver" } : { op: "toSender" });
    }
    expect(this.sender.inFlightCount).toBe(0);
    expect(this.sender.queuedCount).toBe(0);
    for (const [seq, m] of this.messages) {
      const label = `message ${seq} (QoS ${m.qos}${m.refuse ? ", refused" : ""})`;
      if (m.refuse) {
        expect(m.outcome, label).toBe("failed");
        expect(m.deliveries, label).toBe(0);
      } else {
        expect(m.outcome, label).toBe("completed");
        if (m.qos === 1) expect(m.deliveries, label).toBeGreaterThanOrEqual(1);
        else expect(m.deliveries, label).toBe(1);
      }
    }
  }

  private senderOptions() {
    return {
      protocolVersion: this.config.protocolVersion,
      retryIntervalMs: this.config.retryIntervalMs,
      maxQueuedMessages: 100_000,
      packetIds: new PacketIdAllocator({ maxId: this.config.maxPacketId }),
    };
  }

  private receiverOptions() {
    return {
      protocolVersion: this.config.protocolVersion,
      receiveMaximum: this.config.receiverEnforces ? this.config.receiveMaximum : 65_535,
    };
  }

  private newSender(): QosSender {
    return new QosSender(this.senderOptions());
  }

  private connect(): void {
    if (this.up) return;
    this.up = true;
    this.onReceiver(this.receiver.connected(this.now));
    this.onSender(
      this.sender.connected({ sessionPresent: true, receiveMaximum: this.config.receiveMaximum }, this.now),
    );
  }

  private drop(): void {
    if (!this.up) return;
    this.up = false;
    this.toReceiver = [];
    this.toSender = [];
    this.onSender(this.sender.connectionLost(this.now));
    this.receiver.connectionLost(this.now);
  }

  private onSender(actions: SenderAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case "send": {
          expect(this.up, "the sender only sends on a connection").toBe(true);
          const packet = action.packet;
          const packetId = packet.packetId ?? 0;
          const holder = this.idsOnWire.get(packetId);
          if (packet.type === PacketType.PUBLISH && !packet.dup) {
            // A new PUBLISH never uses an id another unfinished flow holds [MQTT-2.2.1-3].
            expect(holder, `id ${packetId} handed out while in use`).toBeUndefined();
            this.idsOnWire.set(packetId, action.seq);
          } else {
            expect(holder, "a resend keeps the flow's original id [MQTT-4.4.0-1]").toBe(action.seq);
          }
          this.toReceiver.push(packet);
          break;
        }
        case "completed":
        case "failed": {
          const m = this.messages.get(action.seq)!;
          expect(m.outcome, `message ${action.seq} ends once`).toBe("pending");
          m.outcome = action.kind;
          this.idsOnWire.delete(action.packetId);
          if (action.kind === "completed") {
            // Acknowledged means delivered: at least once for QoS 1, exactly once for QoS 2.
            expect(m.deliveries).toBeGreaterThanOrEqual(1);
          }
          break;
        }
        case "setTimer":
          this.timerDeadline = this.now + action.delayMs;
          break;
        case "clearTimer":
          this.timerDeadline = undefined;
          break;
        case "rejected":
        case "dropped":
          throw new Error(`the queue bound is out of reach in this simulation, got ${action.kind}`);
        default:
          break;
      }
    }
  }

  private onReceiver(actions: ReceiverAction[]): void {
    for (const action of actions) {
      if (action.kind === "receiveMaximumExceeded") {
        throw new Error(`the sender exceeded the Receive Maximum (${action.receiveMaximum}) [MQTT-3.3.4-7]`);
      }
      if (action.kind === "deliver") {
        const seq = new DataView(action.packet.payload.buffer, action.packet.payload.byteOffset).getUint32(0);
        const m = this.messages.get(seq)!;
        expect(m.refuse, "a refused message is never delivered").toBe(false);
        m.deliveries++;
        if (m.qos === 2) expect(m.deliveries, `QoS 2 message ${seq} delivered twice`).toBe(1);
      } else {
        this.toSender.push(action.packet);
      }
    }
  }

  private checkSafety(): void {
    // Never more unacknowledged PUBLISH packets than the window [MQTT-4.9.0-2].
    expect(this.sender.windowUsed).toBeLessThanOrEqual(this.config.receiveMaximum);
    expect(this.sender.packetIds.inUse).toBe(this.sender.inFlightCount);
  }
}
