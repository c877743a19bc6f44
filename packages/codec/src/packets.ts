import type { PacketType, ProtocolVersion, QoS } from "./constants.js";
import type {
  AckProperties,
  AuthProperties,
  ConnackProperties,
  ConnectProperties,
  DisconnectProperties,
  PublishProperties,
  SubscribeProperties,
  UnsubscribeProperties,
  WillProperties,
} from "./properties.js";

/**
 * Fields marked "5.0" are read and written only with protocol level 5; the
 * encoder ignores them for 3.1 and 3.1.1, and the decoder never sets them there.
 */

/** The will message carried in CONNECT. */
export interface Will {
  /** Topic the will is published to; no wildcards. */
  topic: string;
  /** Will payload (3.1.1 "Will Message", 5.0 "Will Payload"). */
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** 5.0: will properties (delay, expiry, content type, ...). */
  properties?: WillProperties;
}

/** CONNECT, the first packet from client to server (section 3.1). */
export interface ConnectPacket {
  type: typeof PacketType.CONNECT;
  /** `MQIsdp` for 3.1, `MQTT` for 3.1.1 and 5.0. Decided by `protocolVersion` when encoding. */
  protocolName?: "MQTT" | "MQIsdp";
  protocolVersion: ProtocolVersion;
  /** Clean Session (3.1.1) / Clean Start (5.0). */
  clean: boolean;
  /** Keep alive in seconds, 0 disables it. */
  keepAlive: number;
  /** May be empty in 3.1.1 and 5.0 (the server then assigns one or refuses). */
  clientId: string;
  will?: Will;
  username?: string;
  /** Binary in 3.1.1 and 5.0; 3.1 and 3.1.1 also need a username when a password is set. */
  password?: Uint8Array;
  /** 5.0 CONNECT properties. */
  properties?: ConnectProperties;
  /**
   * 3.1/3.1.1: the client is a bridge (Mosquitto's `try_private`): its protocol
   * level has the high bit set (0x83, 0x84). Not in the standard; brokers that
   * know it keep the bridge's own messages from it and their retain flags.
   */
  bridge?: true;
}

/** CONNACK (section 3.2). */
export interface ConnackPacket {
  type: typeof PacketType.CONNACK;
  sessionPresent: boolean;
  /** 3.1/3.1.1 return code (`ConnackReturnCode`) or 5.0 reason code (`ReasonCode`). */
  reasonCode: number;
  /** 5.0 CONNACK properties. */
  properties?: ConnackProperties;
}

/** PUBLISH (section 3.3). */
export interface PublishPacket {
  type: typeof PacketType.PUBLISH;
  /** Topic name; may be empty in 5.0 when `properties.topicAlias` is set. */
  topic: string;
  /** Application payload. Decoded packets hold a view into the decoder's input; see README "Who owns which bytes". */
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Packet identifier, present exactly when qos > 0 (1..65535). */
  packetId?: number;
  /** 5.0 PUBLISH properties. */
  properties?: PublishProperties;
}

/** Shared shape of PUBACK, PUBREC, PUBREL and PUBCOMP. */
interface AckBase {
  packetId: number;
  /** 5.0 reason code; 0x00 Success when absent. */
  reasonCode?: number;
  /** 5.0 properties: reason string and user properties. */
  properties?: AckProperties;
}

/** PUBACK, the QoS 1 acknowledgement (section 3.4). */
export interface PubackPacket extends AckBase {
  type: typeof PacketType.PUBACK;
}
/** PUBREC, QoS 2 step 1 (section 3.5). */
export interface PubrecPacket extends AckBase {
  type: typeof PacketType.PUBREC;
}
/** PUBREL, QoS 2 step 2 (section 3.6). */
export interface PubrelPacket extends AckBase {
  type: typeof PacketType.PUBREL;
}
/** PUBCOMP, QoS 2 step 3 (section 3.7). */
export interface PubcompPacket extends AckBase {
  type: typeof PacketType.PUBCOMP;
}

/** One topic filter of a SUBSCRIBE with its options. */
export interface Subscription {
  topicFilter: string;
  /** Requested (maximum) QoS. */
  qos: QoS;
  /** 5.0: do not send this client's own publications back to it. */
  noLocal?: boolean;
  /** 5.0: keep the RETAIN flag as published when forwarding. */
  retainAsPublished?: boolean;
  /** 5.0: 0 send retained on subscribe, 1 only if the subscription is new, 2 never. */
  retainHandling?: 0 | 1 | 2;
}

/** SUBSCRIBE (section 3.8). */
export interface SubscribePacket {
  type: typeof PacketType.SUBSCRIBE;
  packetId: number;
  /** At least one. */
  subscriptions: Subscription[];
  /** 5.0 SUBSCRIBE properties. */
  properties?: SubscribeProperties;
}

/** SUBACK (section 3.9). */
export interface SubackPacket {
  type: typeof PacketType.SUBACK;
  packetId: number;
  /** One per requested filter: granted QoS 0..2 or a failure code (0x80 and up). */
  reasonCodes: number[];
  /** 5.0 properties. */
  properties?: AckProperties;
}

/** UNSUBSCRIBE (section 3.10). */
export interface UnsubscribePacket {
  type: typeof PacketType.UNSUBSCRIBE;
  packetId: number;
  /** At least one. */
  topicFilters: string[];
  /** 5.0 properties. */
  properties?: UnsubscribeProperties;
}

/** UNSUBACK (section 3.11). */
export interface UnsubackPacket {
  type: typeof PacketType.UNSUBACK;
  packetId: number;
  /** 5.0: one reason code per filter. Empty or absent in 3.1.1. */
  reasonCodes?: number[];
  /** 5.0 properties. */
  properties?: AckProperties;
}

/** PINGREQ (section 3.12). */
export interface PingreqPacket {
  type: typeof PacketType.PINGREQ;
}

/** PINGRESP (section 3.13). */
export interface PingrespPacket {
  type: typeof PacketType.PINGRESP;
}

/** DISCONNECT (section 3.14). */
export interface DisconnectPacket {
  type: typeof PacketType.DISCONNECT;
  /** 5.0 reason code; 0x00 Normal disconnection when absent. */
  reasonCode?: number;
  /** 5.0 properties. */
  properties?: DisconnectProperties;
}

/** AUTH, 5.0 only (section 3.15). */
export interface AuthPacket {
  type: typeof PacketType.AUTH;
  /** 0x00 Success, 0x18 Continue authentication or 0x19 Re-authenticate; 0x00 when absent. */
  reasonCode?: number;
  properties?: AuthProperties;
}

/** Every MQTT control packet, discriminated on `type`. */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** The packet interface for a given type value, e.g. `PacketOf<3>` is `PublishPacket`. */
export type PacketOf<T extends PacketType> = Extract<Packet, { type: T }>;

/** Removes the 5.0-only members (properties, reason codes of acknowledgements, subscription options). */
type Without5<P, K extends PropertyKey> = Omit<P, Extract<keyof P, K>>;

/** A subscription as MQTT 3.1 and 3.1.1 know it: filter and QoS only. */
export type Subscription311 = Without5<Subscription, "noLocal" | "retainAsPublished" | "retainHandling">;

/**
 * The packets of MQTT 3.1 and 3.1.1 (levels 3 and 4), where no packet has
 * properties, acknowledgements carry no reason code (CONNACK and SUBACK carry
 * return codes), subscriptions have no options, and AUTH does not exist. What
 * differs by version is visible here: `encode311` takes this type, so a 5.0
 * field given for a 3.1.1 connection is a compile error.
 */
export type Packet311 =
  | (Without5<ConnectPacket, "properties"> & {
      protocolVersion: 3 | 4;
      will?: Without5<Will, "properties">;
    })
  | Without5<ConnackPacket, "properties">
  | Without5<PublishPacket, "properties">
  | Without5<PubackPacket, "properties" | "reasonCode">
  | Without5<PubrecPacket, "properties" | "reasonCode">
  | Without5<PubrelPacket, "properties" | "reasonCode">
  | Without5<PubcompPacket, "properties" | "reasonCode">
  | (Without5<SubscribePacket, "properties" | "subscriptions"> & { subscriptions: Subscription311[] })
  | Without5<SubackPacket, "properties">
  | Without5<UnsubscribePacket, "properties">
  | Without5<UnsubackPacket, "properties" | "reasonCodes">
  | PingreqPacket
  | PingrespPacket
  | Without5<DisconnectPacket, "properties" | "reasonCode">;

/** The packets of MQTT 5.0: every field, AUTH included (the same as `Packet`). */
export type Packet5 = Packet;
