/**
 * Control packet types, the high nibble of the fixed header's first byte.
 * 3.1.1 section 2.2.1, 5.0 section 2.1.2.
 */
export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  /** MQTT 5.0 only. */
  AUTH: 15,
} as const;

/** A control packet type value. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Names of the packet types, indexed by type value, for messages and logs. */
export const packetTypeNames: readonly string[] = [
  "RESERVED",
  "CONNECT",
  "CONNACK",
  "PUBLISH",
  "PUBACK",
  "PUBREC",
  "PUBREL",
  "PUBCOMP",
  "SUBSCRIBE",
  "SUBACK",
  "UNSUBSCRIBE",
  "UNSUBACK",
  "PINGREQ",
  "PINGRESP",
  "DISCONNECT",
  "AUTH",
];

/**
 * Protocol levels carried in CONNECT: 3 is MQTT 3.1 (`MQIsdp`), 4 is 3.1.1 and
 * 5 is 5.0 (both `MQTT`).
 */
export const ProtocolVersion = {
  V3_1: 3,
  V3_1_1: 4,
  V5: 5,
} as const;

/** A supported protocol level. */
export type ProtocolVersion = (typeof ProtocolVersion)[keyof typeof ProtocolVersion];

/** Quality of service level. */
export type QoS = 0 | 1 | 2;

/** The largest packet the wire format can express: 5-byte fixed header + 268,435,455. */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** The largest value of a Variable Byte Integer (4 bytes). */
export const MAX_VARIABLE_BYTE_INTEGER = 268_435_455;

/**
 * MQTT 3.1 and 3.1.1 CONNACK return codes (3.1.1 section 3.2.2.3).
 */
export const ConnackReturnCode = {
  ACCEPTED: 0x00,
  UNACCEPTABLE_PROTOCOL_VERSION: 0x01,
  IDENTIFIER_REJECTED: 0x02,
  SERVER_UNAVAILABLE: 0x03,
  BAD_USERNAME_OR_PASSWORD: 0x04,
  NOT_AUTHORIZED: 0x05,
} as const;

/** 3.1.1 SUBACK return code for a refused subscription (section 3.9.3). */
export const SUBACK_FAILURE = 0x80;
