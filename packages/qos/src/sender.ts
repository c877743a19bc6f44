import { PacketType, utf8Length } from "@amqtt/codec";
import { Deque } from "./deque.js";
import { InvalidSnapshotError } from "./errors.js";
import { InFlightTable } from "./in-flight.js";
import { PacketIdAllocator } from "./packet-ids.js";
import { publishPacketOf } from "./publish-packet.js";
import { restoreSender, type SenderSnapshot, snapshotSender } from "./sender-snapshot.js";
import {
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  type InFlightEntry,
  MAX_RECEIVE_MAXIMUM,
  type OutgoingMessage,
  type OverflowPolicy,
  type SenderAck,
  type SenderAction,
  type SenderConnectedInput,
  type SenderOptions,
  type WaitingEntry,
} from "./sender-types.js";

/**
 * The sending side of QoS 1 and QoS 2 (sections 4.3.2, 4.3.3, 4.4, 4.9), sans-IO.
 *
 * Feed it user commands (`publish`), the connection's events (`connected`,
 * `connectionLost`), the acknowledgements read from the wire (`receive`) and timer
 * expiries (`timerFired`), each with the current monotonic time in milliseconds.
 * Each call returns the actions to carry out, in order. It never throws on peer
 * input; it throws on API misuse (QoS 0, acks while offline, bad options).
 */
export class QosSender {
  private readonly protocolVersion: number;
  private readonly maxInFlight: number;
  private readonly maxQueuedMessages: number;
  private readonly maxQueuedBytes: number;
  private readonly overflow: OverflowPolicy;
  private readonly retryIntervalMs: number;
  /** The packet identifiers this sender draws from. */
  readonly packetIds: PacketIdAllocator;

  /**
   * The messages holding a packet identifier, in send order (an entry is added
   * when its message is first sent), which is the resend order [MQTT-4.6.0-1],
   * found by packet id. Not a Map: an insert and a delete per QoS 1 message
   * rebuilt its hash table every few messages (see `InFlightTable`).
   */
  private readonly inFlight = new InFlightTable();
  private readonly waiting = new Deque<WaitingEntry>();
  /** Entries of a resumed session whose PUBLISH still has to be resent on this connection. */
  private readonly resend = new Deque<InFlightEntry>();
  private waitingBytes = 0;
  private nextSeq = 1;
  private online = false;
  private window = 0;
  private used = 0;
  private liveCount = 0;
  private timerArmed = false;

  constructor(options: SenderOptions) {
    this.protocolVersion = options.protocolVersion;
    this.maxInFlight = checkedInt(
      "maxInFlight",
      options.maxInFlight ?? MAX_RECEIVE_MAXIMUM,
      1,
      MAX_RECEIVE_MAXIMUM,
    );
    this.maxQueuedMessages = checkedInt(
      "maxQueuedMessages",
      options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    this.maxQueuedBytes = checkedInt(
      "maxQueuedBytes",
      options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    this.overflow = options.overflow ?? "reject-new";
    if (this.overflow !== "reject-new" && this.overflow !== "drop-oldest") {
      throw new RangeError(`unknown overflow policy ${JSON.stringify(this.overflow)}`);
    }
    this.retryIntervalMs = checkedInt("retryIntervalMs", options.retryIntervalMs ?? 0, 0, 2 ** 31 - 1);
    if (this.retryIntervalMs > 0 && this.protocolVersion >= 5) {
      // Clients and Servers MUST NOT resend messages at any other time [MQTT-4.4.0-1].
      throw new RangeError("retryIntervalMs is for 3.1/3.1.1 peers only: MQTT 5.0 resends only on reconnect");
    }
    this.packetIds = options.packetIds ?? new PacketIdAllocator();
  }

  /**
   * Rebuild a sender from {@link QosSender.snapshot} output. It starts offline.
   * @throws UnsupportedSnapshotVersionError for a version this package does not read.
   * @throws InvalidSnapshotError for malformed content or ids already taken in `options.packetIds`.
   */
  static restore(snapshot: unknown, options: SenderOptions): QosSender {
    const sender = new QosSender(options);
    const data = restoreSender(snapshot);
    for (const item of data.inFlight) {
      if (item.packetId > sender.packetIds.maxId || !sender.packetIds.claim(item.packetId)) {
        // Leave a shared allocator as it was.
        for (const claimed of sender.inFlight.list()) sender.packetIds.release(claimed.packetId);
        throw new InvalidSnapshotError(`packet identifier ${item.packetId} is already in use or above maxId`);
      }
      const entry: InFlightEntry = {
        ...item,
        live: false,
        counted: false,
        lastSentAt: 0,
        done: false,
        slot: 0,
      };
      sender.inFlight.add(entry);
    }
    if (data.nextPacketId !== undefined) sender.packetIds.continueFrom(data.nextPacketId);
    for (const item of data.waiting) {
      const size = messageSize(item.message);
      sender.waiting.push({ seq: item.seq, message: item.message, size });
      sender.waitingBytes += size;
    }
    sender.nextSeq = data.nextSeq;
    return sender;
  }

  /** Whether a connection is up. */
  get isConnected(): boolean {
    return this.online;
  }
  /** Messages holding a packet identifier (any stage). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }
  /** Slots of the current window in use: PUBLISH packets sent on this connection and not yet ended. */
  get windowUsed(): number {
    return this.used;
  }
  /** Size of the current connection's window (0 while offline). */
  get windowSize(): number {
    return this.window;
  }
  /** Messages waiting for a slot. */
  get queuedCount(): number {
    return this.waiting.length;
  }
  /** Bytes (payload plus topic) of messages waiting for a slot. */
  get queuedBytes(): number {
    return this.waitingBytes;
  }

  /**
   * Take a QoS 1 or 2 message. It goes out at once when connected with a free slot
   * and id, else it waits in the bounded queue under the overflow policy.
   * The actions are appended to `into` (default: a new list), which is returned:
   * a caller that carries them out at once may pass a list it reuses.
   * @throws TypeError when the message is not QoS 1 or 2 or its fields have wrong types.
   */
  publish(message: OutgoingMessage, now: number, into: SenderAction[] = []): SenderAction[] {
    assertMessage(message);
    const actions = into;
    if (this.waiting.length === 0 && this.resend.length === 0 && this.canSendNew()) {
      const seq = this.nextSeq++;
      actions.push({ kind: "accepted", seq });
      this.sendNew(seq, message, now, actions);
    } else {
      this.enqueue(message, actions);
    }
    this.updateTimer(actions);
    return actions;
  }

  /**
   * A connection is up. On a resumed session, unacknowledged PUBLISH packets are
   * resent in their original order with DUP=1 and PUBREL packets for those waiting
   * for PUBCOMP are resent [MQTT-4.4.0-1] [MQTT-4.6.0-1]; PUBLISH packets only as
   * far as the new window allows, the rest as slots free up. When the peer has no
   * session, messages still waiting for PUBACK/PUBREC are sent again as they are the
   * only copy, and those waiting for PUBCOMP are completed: ownership passed at PUBREC.
   */
  connected(input: SenderConnectedInput, now: number): SenderAction[] {
    const receiveMaximum = checkedInt(
      "receiveMaximum",
      input.receiveMaximum ?? MAX_RECEIVE_MAXIMUM,
      1,
      MAX_RECEIVE_MAXIMUM,
    );
    const actions: SenderAction[] = [];
    this.dropConnectionState();
    this.online = true;
    // The initial send quota is non-zero and not above the Receive Maximum [MQTT-4.9.0-1].
    this.window = Math.min(this.maxInFlight, receiveMaximum);
    for (const entry of this.inFlight.list()) {
      if (entry.stage === "pubrel") {
        if (input.sessionPresent) {
          this.sendPubrel(entry, now, actions);
        } else {
          this.finish(entry, 0, actions);
        }
      } else if (this.used < this.window && this.resend.length === 0) {
        this.sendPublish(entry, now, actions);
      } else {
        this.resend.push(entry);
      }
    }
    this.fill(now, actions);
    this.updateTimer(actions);
    return actions;
  }

  /** The connection is gone. In-flight state stays for the next connection; nothing is sent. */
  connectionLost(_now: number): SenderAction[] {
    const actions: SenderAction[] = [];
    this.dropConnectionState();
    this.online = false;
    this.window = 0;
    this.updateTimer(actions);
    return actions;
  }

  /**
   * An acknowledgement arrived. Unknown ids and acks for another stage are reported
   * as `unexpectedAck` and change nothing. The actions are appended to `into`
   * (default: a new list), which is returned, as with `publish`.
   * @throws Error when called while offline (acks only come on a connection).
   */
  receive(packet: SenderAck, now: number, into: SenderAction[] = []): SenderAction[] {
    if (!this.online) throw new Error("QosSender.receive called while no connection is up");
    const actions = into;
    const entry = this.inFlight.get(packet.packetId);
    const code = this.protocolVersion >= 5 ? (packet.reasonCode ?? 0) : 0;
    if (entry === undefined) {
      actions.push({ kind: "unexpectedAck", reason: "unknown-packet-id", packet });
    } else if (packet.type === PacketType.PUBACK) {
      if (entry.message.qos !== 1) actions.push({ kind: "unexpectedAck", reason: "wrong-stage", packet });
      else this.finish(entry, code, actions);
    } else if (packet.type === PacketType.PUBREC) {
      if (entry.message.qos !== 2 || entry.stage !== "publish") {
        actions.push({ kind: "unexpectedAck", reason: "wrong-stage", packet });
      } else if (code >= 0x80) {
        // A failing PUBREC ends the flow: no PUBREL [MQTT-4.3.3-4], no resend [MQTT-4.4.0-2].
        this.finish(entry, code, actions);
      } else {
        // PUBREL in the order the PUBRECs arrived [MQTT-4.6.0-4]; the slot stays taken until PUBCOMP.
        entry.stage = "pubrel";
        this.sendPubrel(entry, now, actions);
      }
    } else if (packet.type === PacketType.PUBCOMP) {
      if (entry.stage !== "pubrel") actions.push({ kind: "unexpectedAck", reason: "wrong-stage", packet });
      // Even 0x92 (Packet Identifier not found) completes: the receiver owned the message since PUBREC.
      else this.finish(entry, code, actions, "completed");
    } else {
      throw new TypeError(
        `QosSender.receive takes PUBACK, PUBREC or PUBCOMP, not packet type ${String((packet as { type: unknown }).type)}`,
      );
    }
    this.fill(now, actions);
    this.updateTimer(actions);
    return actions;
  }

  /**
   * The retry timer fired (3.1/3.1.1 with `retryIntervalMs` only): resend, in order,
   * every packet of this connection unanswered for `retryIntervalMs`, PUBLISH with DUP=1.
   */
  timerFired(now: number): SenderAction[] {
    const actions: SenderAction[] = [];
    this.timerArmed = false;
    if (!this.online || this.retryIntervalMs === 0) return actions;
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.inFlight.list()) {
      if (!entry.live) continue;
      if (entry.lastSentAt + this.retryIntervalMs <= now) {
        if (entry.stage === "pubrel") this.sendPubrel(entry, now, actions);
        else this.sendPublish(entry, now, actions);
      }
      next = Math.min(next, entry.lastSentAt + this.retryIntervalMs);
    }
    if (next !== Number.POSITIVE_INFINITY) {
      actions.push({ kind: "setTimer", timer: "retry", delayMs: next - now });
      this.timerArmed = true;
    }
    return actions;
  }

  /**
   * The session's outgoing QoS state as JSON-able data (see {@link SenderSnapshot}).
   * Connection state (window, timers) is not part of it.
   */
  snapshot(): SenderSnapshot {
    return snapshotSender(this.nextSeq, this.inFlight.list(), this.waiting, this.packetIds.nextCandidate);
  }

  private canSendNew(): boolean {
    return this.online && this.used < this.window && this.packetIds.available > 0;
  }

  private enqueue(message: OutgoingMessage, actions: SenderAction[]): void {
    const size = messageSize(message);
    if (size > this.maxQueuedBytes || this.maxQueuedMessages === 0) {
      actions.push({
        kind: "rejected",
        reason: size > this.maxQueuedBytes ? "too-large" : "queue-full",
        message,
      });
      return;
    }
    while (this.waiting.length >= this.maxQueuedMessages || this.waitingBytes + size > this.maxQueuedBytes) {
      if (this.overflow === "reject-new") {
        actions.push({ kind: "rejected", reason: "queue-full", message });
        return;
      }
      const oldest = this.waiting.shift()!;
      this.waitingBytes -= oldest.size;
      actions.push({ kind: "dropped", seq: oldest.seq, reason: "queue-full", message: oldest.message });
    }
    const seq = this.nextSeq++;
    this.waiting.push({ seq, message, size });
    this.waitingBytes += size;
    actions.push({ kind: "accepted", seq });
  }

  /** Use free slots: first the resends owed on this connection, then waiting messages. */
  private fill(now: number, actions: SenderAction[]): void {
    while (this.online && this.used < this.window) {
      const owed = this.resend.shift();
      if (owed !== undefined) {
        if (!owed.done && !owed.live) this.sendPublish(owed, now, actions);
        continue;
      }
      if (this.waiting.length === 0 || this.packetIds.available === 0) return;
      const next = this.waiting.shift()!;
      this.waitingBytes -= next.size;
      this.sendNew(next.seq, next.message, now, actions);
    }
  }

  private sendNew(seq: number, message: OutgoingMessage, now: number, actions: SenderAction[]): void {
    // An unused, non-zero id for each new message [MQTT-2.2.1-3] [MQTT-4.3.2-1] [MQTT-4.3.3-1].
    const packetId = this.packetIds.allocate()!;
    const entry: InFlightEntry = {
      seq,
      message,
      packetId,
      stage: "publish",
      sentBefore: false,
      live: false,
      counted: false,
      lastSentAt: now,
      done: false,
      slot: 0,
    };
    this.inFlight.add(entry);
    this.sendPublish(entry, now, actions);
  }

  private sendPublish(entry: InFlightEntry, now: number, actions: SenderAction[]): void {
    const { message } = entry;
    // DUP=0 on the first send [MQTT-4.3.2-2] [MQTT-4.3.3-2], DUP=1 on every resend [MQTT-3.3.1-1].
    const packet = publishPacketOf(message, entry.sentBefore, entry.packetId);
    entry.sentBefore = true;
    entry.lastSentAt = now;
    this.markLive(entry);
    if (!entry.counted) {
      // Each QoS > 0 PUBLISH takes a slot; none is sent without one [MQTT-4.9.0-2] [MQTT-3.3.4-7].
      entry.counted = true;
      this.used++;
    }
    actions.push({ kind: "send", seq: entry.seq, packet });
  }

  private sendPubrel(entry: InFlightEntry, now: number, actions: SenderAction[]): void {
    entry.lastSentAt = now;
    this.markLive(entry);
    // Same Packet Identifier as the PUBLISH [MQTT-2.2.1-5] [MQTT-4.3.3-4].
    actions.push({
      kind: "send",
      seq: entry.seq,
      packet: { type: PacketType.PUBREL, packetId: entry.packetId },
    });
  }

  private markLive(entry: InFlightEntry): void {
    if (!entry.live) {
      entry.live = true;
      this.liveCount++;
    }
  }

  /** End a flow: free its id and slot, and say how it ended. */
  private finish(
    entry: InFlightEntry,
    reasonCode: number,
    actions: SenderAction[],
    kind: "completed" | "failed" = reasonCode >= 0x80 ? "failed" : "completed",
  ): void {
    entry.done = true;
    this.inFlight.delete(entry);
    this.packetIds.release(entry.packetId);
    if (entry.counted) this.used--;
    if (entry.live) this.liveCount--;
    actions.push({ kind, seq: entry.seq, packetId: entry.packetId, qos: entry.message.qos, reasonCode });
  }

  private dropConnectionState(): void {
    // The send quota is not part of the session: it restarts with each connection (section 4.9).
    for (const entry of this.inFlight.list()) {
      entry.live = false;
      entry.counted = false;
    }
    while (this.resend.shift() !== undefined) {}
    this.used = 0;
    this.liveCount = 0;
  }

  private updateTimer(actions: SenderAction[]): void {
    if (this.retryIntervalMs === 0) return;
    const wanted = this.online && this.liveCount > 0;
    if (wanted && !this.timerArmed) {
      actions.push({ kind: "setTimer", timer: "retry", delayMs: this.retryIntervalMs });
      this.timerArmed = true;
    } else if (!wanted && this.timerArmed) {
      actions.push({ kind: "clearTimer", timer: "retry" });
      this.timerArmed = false;
    }
  }
}

/** Bytes a waiting message is charged for: payload plus UTF-8 topic. */
export function messageSize(message: OutgoingMessage): number {
  return message.payload.byteLength + utf8Length(message.topic);
}

function assertMessage(message: OutgoingMessage): void {
  if (message.qos !== 1 && message.qos !== 2) {
    throw new TypeError(
      `QosSender tracks QoS 1 and 2 only, got QoS ${String(message.qos)}; send QoS 0 directly`,
    );
  }
  if (typeof message.topic !== "string") throw new TypeError("message.topic must be a string");
  if (!(message.payload instanceof Uint8Array)) throw new TypeError("message.payload must be a Uint8Array");
}

function checkedInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}
