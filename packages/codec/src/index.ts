/**
 * @packageDocumentation
 * `@amqtt/codec`: the MQTT 3.1, 3.1.1 and 5.0 wire format. An incremental,
 * strict decoder and a one-allocation encoder over `Uint8Array`, with typed
 * packets and typed errors. No dependencies; runs in Node and browsers.
 *
 * @example
 * ```ts
 * import { Decoder, encode, PacketType } from "@amqtt/codec";
 * const bytes = encode({ type: PacketType.PUBLISH, topic: "a/b", payload: new Uint8Array([1]), qos: 0, retain: false, dup: false }, 4);
 * const decoder = new Decoder({ protocolVersion: 4, maxPacketSize: 1 << 20 });
 * decoder.push(bytes);
 * const packet = decoder.next(); // { type: 3, topic: "a/b", ... }
 * ```
 */
export {
  ConnackReturnCode,
  MAX_REMAINING_LENGTH,
  MAX_VARIABLE_BYTE_INTEGER,
  PacketType,
  ProtocolVersion,
  packetTypeNames,
  type QoS,
  SUBACK_FAILURE,
} from "./constants.js";
export { Decoder, type DecoderOptions, decodePacket } from "./decoder.js";
export { encode, encode5, encode311, PublishTemplate } from "./encoder.js";
export {
  ConnectExpectedError,
  InvalidPacketError,
  MalformedPacketError,
  MqttError,
  type MqttErrorOptions,
  PacketTooLargeError,
  ProtocolError,
  UnsupportedProtocolVersionError,
} from "./errors.js";
export type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  Packet5,
  Packet311,
  PacketOf,
  PingreqPacket,
  PingrespPacket,
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PubrecPacket,
  PubrelPacket,
  SubackPacket,
  SubscribePacket,
  Subscription,
  Subscription311,
  UnsubackPacket,
  UnsubscribePacket,
  Will,
} from "./packets.js";
export type {
  AckProperties,
  AuthProperties,
  ConnackProperties,
  ConnectProperties,
  DisconnectProperties,
  Properties,
  PublishProperties,
  SubscribeProperties,
  UnsubscribeProperties,
  UserProperty,
  WillProperties,
} from "./properties.js";
export { allowedReasonCodes, isFailure, ReasonCode, reasonCodeName } from "./reason-codes.js";
export { decodeUtf8, isWellFormedUtf8, utf8Length } from "./utf8.js";
