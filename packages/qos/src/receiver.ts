import {
  PacketType,
  type ProtocolVersion,
  type PubackPacket,
  type PubcompPacket,
  type PublishPacket,
  type PubrecPacket,
  type PubrelPacket,
  ReasonCode,
} from "@amqtt/codec";
import { InvalidSnapshotError } from "./errors.js";
import { MAX_RECEIVE_MAXIMUM } from "./sender-types.js";
import { expectArray, expectInt, expectVersion } from "./snapshot-checks.js";

/** The receiver snapshot format version this package writes and reads. */
export const RECEIVER_SNAPSHOT_VERSION = 1;

/** Options of a {@link QosReceiver}. */
export interface ReceiverOptions {
  /** 3 (3.1), 4 (3.1.1) or 5 (5.0): reason codes are only sent with 5. */
  protocolVersion: ProtocolVersion;
  /**
   * The Receive Maximum we advertise, 1..65535 (default 65535). More unacknowledged
   * QoS 1 and 2 PUBLISH packets than this on one connection is a violation.
   */
  receiveMaximum?: number;
}

/** Per-PUBLISH choices of the application or session, for {@link QosReceiver.receive}. */
export interface ReceiveOptions {
  /**
   * 5.0 reason code for the PUBACK/PUBREC (default 0x00 Success). Below 0x80 (e.g.
   * 0x10 No matching subscribers) the message is delivered as usual. At 0x80 or more
   * (e.g. 0x87 Not authorized) it is refused: not delivered and, for QoS 2, its id
   * is not kept, so a later PUBLISH with that id is a new message [MQTT-4.3.3-9].
   * With 3.1/3.1.1 a refused message is not delivered and a plain acknowledgement is
   * sent [MQTT-4.5.0-2]; a QoS 0 message with a refusing code is dropped.
   */
  reasonCode?: number;
}

/** Hand this message to the application (exactly once for QoS 2). */
export interface DeliverAction {
  kind: "deliver";
  packet: PublishPacket;
}
/** Send this acknowledgement, in order, on the current connection. */
export interface ReceiverSendAction {
  kind: "send";
  packet: PubackPacket | PubrecPacket | PubcompPacket;
}
/**
 * The peer sent more unacknowledged QoS 1 and 2 PUBLISH packets than our Receive
 * Maximum; the packet was not processed. The session disconnects with 0x93
 * (Receive Maximum exceeded) [MQTT-3.3.4-7] [MQTT-3.3.4-9].
 */
export interface ReceiveMaximumExceededAction {
  kind: "receiveMaximumExceeded";
  packetId: number;
  receiveMaximum: number;
}

/** Everything a {@link QosReceiver} asks for, in order. */
export type ReceiverAction = DeliverAction | ReceiverSendAction | ReceiveMaximumExceededAction;

/** A receiver's session state, version 1: the QoS 2 ids waiting for PUBREL. */
export interface ReceiverSnapshot {
  version: 1;
  kind: "qos-receiver";
  /** Packet identifiers of QoS 2 messages delivered and acknowledged with PUBREC, not yet released. */
  awaitingRelease: number[];
}

/**
 * The receiving side of QoS 1 and QoS 2 (sections 4.3.2, 4.3.3, 4.9), sans-IO.
 *
 * QoS 2 uses Method B of the 3.1.1 flow diagram (Figure 4.3): the message is
 * delivered when its first PUBLISH arrives and only the Packet Identifier is kept
 * until PUBREL. A PUBLISH resent with that id before PUBREL gets a PUBREC again and
 * is not delivered again [MQTT-4.3.3-10]; after PUBCOMP the id is free and a PUBLISH
 * with it is a new message [MQTT-4.3.3-12]. So the state is a set of numbers, and
 * the application gets each message as soon as possible.
 */
export class QosReceiver {
  private readonly protocolVersion: number;
  /** The Receive Maximum this receiver enforces. */
  readonly receiveMaximum: number;
  private readonly awaitingRelease = new Set<number>();
  // QoS 2 ids whose PUBLISH arrived on this connection and whose PUBCOMP is not sent:
  // the unacknowledged PUBLISH packets the Receive Maximum counts (QoS 1 is
  // acknowledged at once, so it never stays here).
  private readonly unacknowledged = new Set<number>();

  constructor(options: ReceiverOptions) {
    this.protocolVersion = options.protocolVersion;
    const max = options.receiveMaximum ?? MAX_RECEIVE_MAXIMUM;
    if (!Number.isInteger(max) || max < 1 || max > MAX_RECEIVE_MAXIMUM) {
      throw new RangeError(`receiveMaximum must be an integer in 1..${MAX_RECEIVE_MAXIMUM}, got ${max}`);
    }
    this.receiveMaximum = max;
  }

  /**
   * Rebuild a receiver from {@link QosReceiver.snapshot} output.
   * @throws UnsupportedSnapshotVersionError for a version this package does not read.
   * @throws InvalidSnapshotError for malformed content.
   */
  static restore(snapshot: unknown, options: ReceiverOptions): QosReceiver {
    const root = expectVersion(snapshot, "qos-receiver", RECEIVER_SNAPSHOT_VERSION);
    const receiver = new QosReceiver(options);
    for (const [i, id] of expectArray(root.awaitingRelease, "awaitingRelease").entries()) {
      const packetId = expectInt(id, `awaitingRelease[${i}]`, 1, 65_535);
      if (receiver.awaitingRelease.has(packetId)) {
        throw new InvalidSnapshotError(`awaitingRelease holds ${packetId} twice`);
      }
      receiver.awaitingRelease.add(packetId);
    }
    return receiver;
  }

  /** QoS 2 packet identifiers waiting for PUBREL. */
  get awaitingReleaseCount(): number {
    return this.awaitingRelease.size;
  }

  /** Unacknowledged QoS 1 and 2 PUBLISH packets of this connection (what the Receive Maximum bounds). */
  get unacknowledgedCount(): number {
    return this.unacknowledged.size;
  }

  /** A new connection is up: the Receive Maximum count starts again (section 4.9). */
  connected(_now: number): ReceiverAction[] {
    this.unacknowledged.clear();
    return [];
  }

  /** The connection is gone. The QoS 2 ids stay: they are session state. */
  connectionLost(_now: number): ReceiverAction[] {
    this.unacknowledged.clear();
    return [];
  }

  /**
   * A PUBLISH or PUBREL arrived. The actions are appended to `into` (default: a
   * new list), which is returned: a caller that carries them out at once may
   * pass a list it reuses.
   * @throws TypeError for other packet types or a QoS 1/2 PUBLISH without a Packet Identifier.
   */
  receive(
    packet: PublishPacket | PubrelPacket,
    _now: number,
    options: ReceiveOptions = NO_RECEIVE_OPTIONS,
    into: ReceiverAction[] = [],
  ): ReceiverAction[] {
    if (packet.type === PacketType.PUBREL) return this.onPubrel(packet.packetId, into);
    if (packet.type !== PacketType.PUBLISH) {
      throw new TypeError(
        `QosReceiver.receive takes PUBLISH or PUBREL, not packet type ${String((packet as { type: unknown }).type)}`,
      );
    }
    const refused = options.reasonCode !== undefined && options.reasonCode >= 0x80;
    if (packet.qos === 0) {
      if (!refused) into.push({ kind: "deliver", packet });
      return into;
    }
    const packetId = packet.packetId;
    if (packetId === undefined) throw new TypeError("a QoS 1 or 2 PUBLISH needs a packetId");
    const reasonCode = this.protocolVersion >= 5 && options.reasonCode !== 0 ? options.reasonCode : undefined;
    if (packet.qos === 1) {
      // QoS 1 is acknowledged at once, so only the QoS 2 ids count; this one would be one more.
      if (this.unacknowledged.size + 1 > this.receiveMaximum) {
        into.push(this.exceeded(packetId));
        return into;
      }
      // Each QoS 1 PUBLISH is a new message, whatever its DUP flag [MQTT-4.3.2-5]; PUBACK
      // with its id [MQTT-4.3.2-4], in the order the PUBLISH packets came [MQTT-4.6.0-2].
      if (!refused) into.push({ kind: "deliver", packet });
      into.push({ kind: "send", packet: ackPacket(PacketType.PUBACK, packetId, reasonCode) });
      return into;
    }
    if (!this.unacknowledged.has(packetId)) {
      if (this.unacknowledged.size + 1 > this.receiveMaximum) {
        into.push(this.exceeded(packetId));
        return into;
      }
    }
    if (this.awaitingRelease.has(packetId)) {
      // Resent before PUBREL: PUBREC again, no second delivery [MQTT-4.3.3-10].
      this.unacknowledged.add(packetId);
      into.push({ kind: "send", packet: ackPacket(PacketType.PUBREC, packetId, undefined) });
      return into;
    }
    if (refused) {
      // A failing PUBREC keeps nothing: the next PUBLISH with this id is new [MQTT-4.3.3-9].
      into.push({ kind: "send", packet: ackPacket(PacketType.PUBREC, packetId, reasonCode) });
      return into;
    }
    // Method B: keep the id, deliver now, PUBREC [MQTT-4.3.3-8] in arrival order [MQTT-4.6.0-3].
    this.awaitingRelease.add(packetId);
    this.unacknowledged.add(packetId);
    into.push({ kind: "deliver", packet });
    into.push({ kind: "send", packet: ackPacket(PacketType.PUBREC, packetId, reasonCode) });
    return into;
  }

  /** The QoS 2 state as JSON-able data. */
  snapshot(): ReceiverSnapshot {
    return {
      version: RECEIVER_SNAPSHOT_VERSION,
      kind: "qos-receiver",
      awaitingRelease: [...this.awaitingRelease],
    };
  }

  private onPubrel(packetId: number, into: ReceiverAction[]): ReceiverAction[] {
    const known = this.awaitingRelease.delete(packetId);
    this.unacknowledged.delete(packetId);
    // PUBCOMP with the PUBREL's id [MQTT-4.3.3-11], also for an id we do not know (a
    // PUBREL resent after reconnect whose PUBCOMP was lost): 5.0 then says 0x92.
    const reasonCode = known || this.protocolVersion < 5 ? undefined : ReasonCode.PACKET_IDENTIFIER_NOT_FOUND;
    into.push({ kind: "send", packet: ackPacket(PacketType.PUBCOMP, packetId, reasonCode) });
    return into;
  }

  private exceeded(packetId: number): ReceiveMaximumExceededAction {
    return { kind: "receiveMaximumExceeded", packetId, receiveMaximum: this.receiveMaximum };
  }
}

/** `receive` without options: one shared object, not one per PUBLISH. */
const NO_RECEIVE_OPTIONS: ReceiveOptions = Object.freeze({});

function ackPacket<T extends typeof PacketType.PUBACK | typeof PacketType.PUBREC | typeof PacketType.PUBCOMP>(
  type: T,
  packetId: number,
  reasonCode: number | undefined,
): PubackPacket | PubrecPacket | PubcompPacket {
  const packet = { type, packetId } as PubackPacket | PubrecPacket | PubcompPacket;
  if (reasonCode !== undefined) packet.reasonCode = reasonCode;
  return packet;
}
