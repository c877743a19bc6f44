import {
  isWellFormedUtf8,
  PacketType,
  type PubackPacket,
  type PubcompPacket,
  type PublishPacket,
  type PublishProperties,
  type PubrecPacket,
  type PubrelPacket,
  type QoS,
} from "@amqtt/codec";
import { PayloadFormatInvalidError } from "./errors.js";

/**
 * The MQTT 5.0 properties that belong to an application message and travel with
 * it from publisher to subscriber: payload format indicator, message expiry
 * interval, content type, response topic, correlation data, user properties,
 * and (server to client) subscription identifiers. The Topic Alias is left out:
 * it belongs to one network connection, not to the message.
 */
export type MessageProperties = Omit<PublishProperties, "topicAlias">;

/** Options of {@link ApplicationMessage.fromPublishPacket}. */
export interface FromPublishPacketOptions {
  /**
   * Throw `PayloadFormatInvalidError` (reason code 0x99) when the Payload Format
   * Indicator is 1 and the payload is not well-formed UTF-8. The receiver MAY
   * check this (5.0 section 3.3.2.3.2); off by default.
   */
  checkPayloadFormat?: boolean;
}

/** A constructor with the signature of {@link ApplicationMessage}. */
export type ApplicationMessageClass<T extends ApplicationMessage> = new (
  packetId: number | undefined,
  topic: string,
  qos: QoS,
  data: Uint8Array,
  retain: boolean,
  properties?: MessageProperties,
) => T;

/**
 * A published application message and the packets seen for it, as in aMQTT's
 * `amqtt.session.ApplicationMessage`. What it holds depends on how it was made
 * (incoming or outgoing) and on the QoS used between the peers.
 */
export class ApplicationMessage {
  /** Packet identifier of the PUBLISH; `undefined` at QoS 0 or before one is assigned. */
  packetId: number | undefined;
  /** Topic name the message is published to. */
  topic: string;
  /** Quality of service of the PUBLISH. */
  qos: QoS;
  /** Payload. A message made from a decoded packet shares the packet's bytes. */
  data: Uint8Array;
  /** RETAIN flag. */
  retain: boolean;
  /** MQTT 5.0 message properties; empty for 3.1.1 messages. */
  properties: MessageProperties;
  /** The PUBLISH packet of this message's flow, once sent or received. */
  publishPacket: PublishPacket | undefined = undefined;
  /** The PUBACK packet (QoS 1), once sent or received. */
  pubackPacket: PubackPacket | undefined = undefined;
  /** The PUBREC packet (QoS 2), once sent or received. */
  pubrecPacket: PubrecPacket | undefined = undefined;
  /** The PUBREL packet (QoS 2), once sent or received. */
  pubrelPacket: PubrelPacket | undefined = undefined;
  /** The PUBCOMP packet (QoS 2), once sent or received. */
  pubcompPacket: PubcompPacket | undefined = undefined;

  /**
   * @param packetId - 1..65535, or `undefined` (QoS 0, or not assigned yet).
   * @param qos - 0, 1 or 2.
   * @param properties - MQTT 5.0 message properties (ignored on 3.1.1 connections).
   * @throws RangeError for a QoS other than 0, 1, 2 or a packet id outside 1..65535.
   * @throws TypeError when `data` is not a `Uint8Array`.
   */
  constructor(
    packetId: number | undefined,
    topic: string,
    qos: QoS,
    data: Uint8Array,
    retain: boolean,
    properties: MessageProperties = {},
  ) {
    if (qos !== 0 && qos !== 1 && qos !== 2)
      throw new RangeError(`QoS must be 0, 1 or 2, got ${String(qos)}`);
    if (packetId !== undefined && !(Number.isInteger(packetId) && packetId >= 1 && packetId <= 0xffff))
      throw new RangeError(`packet id must be an integer in 1..65535, got ${String(packetId)}`);
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    this.packetId = packetId;
    this.topic = topic;
    this.qos = qos;
    this.data = data;
    this.retain = retain;
    this.properties = properties;
  }

  /**
   * Builds the PUBLISH packet for this message (aMQTT `build_publish_packet`).
   * The packet shares `data` and `properties` with the message.
   * @param dup - set DUP, for a re-delivery. Ignored at QoS 0, where DUP must be 0 [MQTT-3.3.1-2].
   * @throws RangeError at QoS 1 or 2 when no packet id is assigned.
   */
  buildPublishPacket(dup = false): PublishPacket {
    const packet: PublishPacket = {
      type: PacketType.PUBLISH,
      topic: this.topic,
      payload: this.data,
      qos: this.qos,
      retain: this.retain,
      dup: dup && this.qos > 0, // [MQTT-3.3.1-2]
    };
    // No packet id at QoS 0: [MQTT-2.2.1-2] (3.1.1 [MQTT-2.3.1-5]).
    if (this.qos > 0) {
      if (this.packetId === undefined) throw new RangeError(`a QoS ${this.qos} PUBLISH needs a packet id`);
      packet.packetId = this.packetId;
    }
    if (hasAny(this.properties)) packet.properties = this.properties;
    return packet;
  }

  /**
   * False when the Payload Format Indicator is 1 (UTF-8) and `data` is not
   * well-formed UTF-8 (5.0 section 3.3.2.3.2); true otherwise.
   */
  isPayloadFormatValid(): boolean {
    return this.properties.payloadFormatIndicator !== 1 || isWellFormedUtf8(this.data);
  }

  /**
   * Makes a message of this class from a PUBLISH packet and records the packet
   * in `publishPacket`. The payload and properties are shared, not copied; the
   * Topic Alias is dropped (resolve it to the topic name before calling this).
   * Called on a subclass it returns that subclass:
   * `IncomingApplicationMessage.fromPublishPacket(p)` is an `IncomingApplicationMessage`.
   * @throws PayloadFormatInvalidError with `options.checkPayloadFormat` when the payload is marked UTF-8 but is not.
   */
  static fromPublishPacket<T extends ApplicationMessage>(
    this: ApplicationMessageClass<T>,
    packet: PublishPacket,
    options: FromPublishPacketOptions = {},
  ): T {
    const message = new this(
      packet.qos > 0 ? packet.packetId : undefined,
      packet.topic,
      packet.qos,
      packet.payload,
      packet.retain,
      messageProperties(packet.properties),
    );
    if (options.checkPayloadFormat === true && !message.isPayloadFormatValid())
      throw new PayloadFormatInvalidError(packet.topic);
    message.publishPacket = packet;
    return message;
  }
}

/** A message received from a peer (aMQTT `IncomingApplicationMessage`). */
export class IncomingApplicationMessage extends ApplicationMessage {
  /** Which way the message travels; lets code tell the two kinds apart without `instanceof`. */
  readonly direction = "incoming" as const;
}

/** A message to be sent to a peer (aMQTT `OutgoingApplicationMessage`). */
export class OutgoingApplicationMessage extends ApplicationMessage {
  /** Which way the message travels; lets code tell the two kinds apart without `instanceof`. */
  readonly direction = "outgoing" as const;
}

/** The message properties of a PUBLISH: all of them but the Topic Alias. Shares the object when it has no alias. */
function messageProperties(props: PublishProperties | undefined): MessageProperties {
  if (props === undefined) return {};
  if (props.topicAlias === undefined) return props;
  const { topicAlias: _alias, ...rest } = props;
  return rest;
}

function hasAny(props: MessageProperties): boolean {
  for (const key in props) if (props[key as keyof MessageProperties] !== undefined) return true;
  return false;
}
