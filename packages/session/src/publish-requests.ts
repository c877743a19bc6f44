import type { AckProperties, PublishPacket } from "@amqtt/codec";
import type { ReceiverAction } from "@amqtt/qos";

/** One incoming PUBLISH in arrival order: a request (answered or not), or a QoS 2 resend whose PUBREC is ready. */
export interface HeldPublish {
  requestId: number;
  packet: PublishPacket;
  /** Set by `answerPublish` (with `reasonCode`); the entry leaves when everything before it has left too. */
  answered: boolean;
  /** The shell's verdict, once `answered`. */
  reasonCode: number;
  /** The properties of the acknowledgement, if the shell gave some. */
  properties: AckProperties | undefined;
  /** A resend of a QoS 2 message already received: the receiver's PUBREC, held behind earlier requests. */
  ready: ReceiverAction[] | undefined;
}

/** Entries held at which a packet-id index is kept beside the queue (below it, a scan is cheaper). */
const INDEX_FROM = 16;
/** Longest queue whose slots are kept once it empties (see `emptyQueue`). */
export const QUEUE_SLOTS_KEPT = 1024;

/**
 * Incoming PUBLISH packets waiting for the shell's answer, released strictly in
 * arrival order so acknowledgements leave in the order their PUBLISH packets came
 * (section 4.6, [MQTT-4.6.0-2] / [MQTT-4.6.0-3]) and messages reach the shell in
 * that order too ([MQTT-4.6.0-6]). Bounded by `limit` entries.
 *
 * Design: an array queue in request-id order (ids only grow), not a Map. On the
 * hot path a request is answered in the turn it arrives, so the queue holds one
 * entry, and a Map insert and delete per PUBLISH churned hash tables that
 * survived scavenges (old-space growth under fan-in). A packet-id index exists
 * only while many entries wait (asynchronous plugin answers).
 */
export class PublishRequests {
  /** Entries from `head` on, in arrival order; the slots before `head` are free. */
  private queue: (HeldPublish | undefined)[] = [];
  private head = 0;
  /** QoS 1/2 entries by packet id, kept only while `INDEX_FROM` or more entries are held. */
  private byPacketId: Map<number, HeldPublish> | undefined;
  private nextId = 1;
  private unreleasedQos12 = 0;

  constructor(readonly limit: number) {}

  /** Entries held (requests and ready resends). */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** QoS 1/2 requests not yet handed to the receiver: unacknowledged PUBLISH packets for the Receive Maximum. */
  get unacknowledged(): number {
    return this.unreleasedQos12;
  }

  /** Whether a QoS 1/2 PUBLISH with this packet id is held. */
  holds(packetId: number): boolean {
    return this.findPacketId(packetId) !== undefined;
  }

  /** Hold a new request; returns its id. */
  add(packet: PublishPacket): number {
    const entry = heldPublish(this.nextId++, packet, undefined);
    this.track(entry);
    if (packet.qos > 0) this.unreleasedQos12++;
    return entry.requestId;
  }

  /** Hold a QoS 2 resend's ready PUBREC behind the earlier requests. */
  addReady(packet: PublishPacket, ready: ReceiverAction[]): void {
    this.track(heldPublish(this.nextId++, packet, ready));
  }

  /** The unanswered request `requestId`, if it is held. */
  pending(requestId: number): HeldPublish | undefined {
    const i = this.indexOf(requestId);
    const entry = i < 0 ? undefined : this.queue[i];
    return entry === undefined || entry.ready !== undefined ? undefined : entry;
  }

  /** Forget a ready resend of `packetId` (its PUBREL arrived, so its PUBREC has no use). */
  dropReady(packetId: number): void {
    const entry = this.findPacketId(packetId);
    if (entry?.ready === undefined) return;
    this.removeAt(this.indexOf(entry.requestId));
  }

  /**
   * Take the entry at the head if it can leave (answered or ready), else
   * `undefined`; call until `undefined` to release everything releasable, in order.
   */
  takeReleasable(): HeldPublish | undefined {
    const entry = this.queue[this.head];
    if (entry === undefined || (!entry.answered && entry.ready === undefined)) return undefined;
    this.queue[this.head++] = undefined;
    if (this.head === this.queue.length) {
      this.emptyQueue();
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      // A long-lived backlog: drop the free slots now and then, not at every take.
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.untrack(entry);
    if (entry.ready === undefined && entry.packet.qos > 0) this.unreleasedQos12--;
    return entry;
  }

  /**
   * The connection ended. QoS 1/2 requests are void: never acknowledged, so the
   * client resends them on its next connection. QoS 0 requests stay answerable:
   * they were received whole (often right before a DISCONNECT, as
   * `mosquitto_pub -q 0` does), and a QoS 0 message has no resend.
   */
  connectionEnded(): void {
    const kept: HeldPublish[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i] as HeldPublish;
      if (entry.packet.qos === 0 && entry.ready === undefined && !entry.answered) kept.push(entry);
    }
    this.queue = kept;
    this.head = 0;
    this.byPacketId = undefined;
    this.unreleasedQos12 = 0;
  }

  /** Take a still-unanswered QoS 0 request out (after the connection ended). */
  takeQos0(requestId: number): HeldPublish | undefined {
    const i = this.indexOf(requestId);
    const entry = i < 0 ? undefined : this.queue[i];
    if (entry === undefined || entry.packet.qos !== 0) return undefined;
    this.removeAt(i);
    return entry;
  }

  /** Forget everything. */
  clear(): void {
    this.queue = [];
    this.head = 0;
    this.byPacketId = undefined;
    this.unreleasedQos12 = 0;
  }

  private track(entry: HeldPublish): void {
    this.queue.push(entry);
    if (this.byPacketId !== undefined) this.indexEntry(this.byPacketId, entry);
    else if (this.size >= INDEX_FROM) {
      const index = new Map<number, HeldPublish>();
      for (let i = this.head; i < this.queue.length; i++)
        this.indexEntry(index, this.queue[i] as HeldPublish);
      this.byPacketId = index;
    }
  }

  private indexEntry(index: Map<number, HeldPublish>, entry: HeldPublish): void {
    if (entry.packet.qos > 0 && entry.packet.packetId !== undefined) index.set(entry.packet.packetId, entry);
  }

  private untrack(entry: HeldPublish): void {
    const index = this.byPacketId;
    if (index === undefined) return;
    if (this.size < INDEX_FROM / 2) this.byPacketId = undefined;
    else if (entry.packet.qos > 0 && entry.packet.packetId !== undefined) index.delete(entry.packet.packetId);
  }

  private findPacketId(packetId: number): HeldPublish | undefined {
    if (this.byPacketId !== undefined) return this.byPacketId.get(packetId);
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i] as HeldPublish;
      if (entry.packet.qos > 0 && entry.packet.packetId === packetId) return entry;
    }
    return undefined;
  }

  /** Position of `requestId` in the queue (-1: not held): ids grow along the queue, so a binary search. */
  private indexOf(requestId: number): number {
    let lo = this.head;
    let hi = this.queue.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const id = (this.queue[mid] as HeldPublish).requestId;
      if (id === requestId) return mid;
      if (id < requestId) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Remove the entry at `i` (a rare path: a dropped resend, a late QoS 0 answer). */
  private removeAt(i: number): void {
    const entry = this.queue[i] as HeldPublish;
    this.queue.splice(i, 1);
    if (this.head === this.queue.length) this.emptyQueue();
    this.untrack(entry);
  }

  /**
   * Every slot is free: start again at 0. Emptied with `pop`, which keeps the
   * array's slots: `length = 0` let them go, and the next PUBLISH's push
   * allocated 17 new ones (about 150 bytes per message, issue 19). A queue that
   * grew past `QUEUE_SLOTS_KEPT` lets them go.
   */
  private emptyQueue(): void {
    const queue = this.queue;
    if (queue.length > QUEUE_SLOTS_KEPT) queue.length = 0;
    else while (queue.length > 0) queue.pop();
    this.head = 0;
  }
}

/** A held entry, every field set (one object shape for all of them). */
function heldPublish(
  requestId: number,
  packet: PublishPacket,
  ready: ReceiverAction[] | undefined,
): HeldPublish {
  return { requestId, packet, answered: false, reasonCode: 0, properties: undefined, ready };
}
