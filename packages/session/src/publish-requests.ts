import type { AckProperties, PublishPacket } from "@amqtt/codec";
import type { ReceiverAction } from "@amqtt/qos";

/** The shell's verdict on one request. */
export interface PublishAnswer {
  reasonCode: number;
  properties?: AckProperties;
}

/** One incoming PUBLISH in arrival order: a request (answered or not), or a QoS 2 resend whose PUBREC is ready. */
export interface HeldPublish {
  requestId: number;
  packet: PublishPacket;
  /** Set by `answerPublish`; the entry leaves when everything before it has left too. */
  answer?: PublishAnswer;
  /** A resend of a QoS 2 message already received: the receiver's PUBREC, held behind earlier requests. */
  ready?: ReceiverAction[];
}

/**
 * Incoming PUBLISH packets waiting for the shell's answer, released strictly in
 * arrival order so acknowledgements leave in the order their PUBLISH packets came
 * (section 4.6, [MQTT-4.6.0-2] / [MQTT-4.6.0-3]) and messages reach the shell in
 * that order too ([MQTT-4.6.0-6]). Bounded by `limit` entries.
 */
export class PublishRequests {
  private readonly held = new Map<number, HeldPublish>();
  private readonly byPacketId = new Map<number, HeldPublish>();
  private nextId = 1;
  private unreleasedQos12 = 0;

  constructor(readonly limit: number) {}

  /** Entries held (requests and ready resends). */
  get size(): number {
    return this.held.size;
  }

  /** QoS 1/2 requests not yet handed to the receiver: unacknowledged PUBLISH packets for the Receive Maximum. */
  get unacknowledged(): number {
    return this.unreleasedQos12;
  }

  /** Whether a QoS 1/2 PUBLISH with this packet id is held. */
  holds(packetId: number): boolean {
    return this.byPacketId.has(packetId);
  }

  /** Hold a new request; returns its id. */
  add(packet: PublishPacket): number {
    const entry: HeldPublish = { requestId: this.nextId++, packet };
    this.track(entry);
    if (packet.qos > 0) this.unreleasedQos12++;
    return entry.requestId;
  }

  /** Hold a QoS 2 resend's ready PUBREC behind the earlier requests. */
  addReady(packet: PublishPacket, ready: ReceiverAction[]): void {
    this.track({ requestId: this.nextId++, packet, ready });
  }

  /** The unanswered request `requestId`, if it is held. */
  pending(requestId: number): HeldPublish | undefined {
    const entry = this.held.get(requestId);
    return entry === undefined || entry.ready !== undefined ? undefined : entry;
  }

  /** Forget a ready resend of `packetId` (its PUBREL arrived, so its PUBREC has no use). */
  dropReady(packetId: number): void {
    const entry = this.byPacketId.get(packetId);
    if (entry?.ready === undefined) return;
    this.held.delete(entry.requestId);
    this.byPacketId.delete(packetId);
  }

  /** Take the entries at the head that can leave (answered or ready), in order. */
  takeReleasable(): HeldPublish[] {
    const out: HeldPublish[] = [];
    for (const entry of this.held.values()) {
      if (entry.answer === undefined && entry.ready === undefined) break;
      out.push(entry);
    }
    for (const entry of out) {
      this.held.delete(entry.requestId);
      if (entry.packet.packetId !== undefined) this.byPacketId.delete(entry.packet.packetId);
      if (entry.ready === undefined && entry.packet.qos > 0) this.unreleasedQos12--;
    }
    return out;
  }

  /**
   * The connection ended. QoS 1/2 requests are void: never acknowledged, so the
   * client resends them on its next connection. QoS 0 requests stay answerable:
   * they were received whole (often right before a DISCONNECT, as
   * `mosquitto_pub -q 0` does), and a QoS 0 message has no resend.
   */
  connectionEnded(): void {
    for (const [id, entry] of this.held) {
      if (entry.packet.qos === 0 && entry.ready === undefined && entry.answer === undefined) continue;
      this.held.delete(id);
    }
    this.byPacketId.clear();
    this.unreleasedQos12 = 0;
  }

  /** Take a still-unanswered QoS 0 request out (after the connection ended). */
  takeQos0(requestId: number): HeldPublish | undefined {
    const entry = this.held.get(requestId);
    if (entry === undefined || entry.packet.qos !== 0) return undefined;
    this.held.delete(requestId);
    return entry;
  }

  /** Forget everything. */
  clear(): void {
    this.held.clear();
    this.byPacketId.clear();
    this.unreleasedQos12 = 0;
  }

  private track(entry: HeldPublish): void {
    this.held.set(entry.requestId, entry);
    if (entry.packet.qos > 0 && entry.packet.packetId !== undefined)
      this.byPacketId.set(entry.packet.packetId, entry);
  }
}
