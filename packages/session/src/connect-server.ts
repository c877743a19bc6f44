import {
  type ConnackPacket,
  ConnackReturnCode,
  type ConnectPacket,
  PacketType,
  type ProtocolVersion,
  ReasonCode,
} from "@amqtt/codec";

/** What a server does with a CONNECT before asking the shell. */
export type ConnectCheck =
  | { verdict: "ask"; needsClientId: boolean }
  | {
      verdict: "refuse";
      connack: ConnackPacket;
      version: ProtocolVersion;
      reason: "unsupported-version" | "refused";
    };

/**
 * The first-packet rules a server applies on its own: the protocol level must be
 * one it accepts [MQTT-3.1.2-2] (CONNACK 0x01 in 3.1.1, 0x84 in 5.0), and an empty
 * client id is only allowed where the version allows it (3.1: never; 3.1.1: with
 * Clean Session 1, else CONNACK 0x02 [MQTT-3.1.3-8]; 5.0: always, the server
 * assigns one [MQTT-3.2.2-16]).
 */
export function checkConnect(packet: ConnectPacket, accepted: readonly ProtocolVersion[]): ConnectCheck {
  const version = packet.protocolVersion;
  if (!accepted.includes(version)) {
    const code =
      version === 5
        ? ReasonCode.UNSUPPORTED_PROTOCOL_VERSION
        : ConnackReturnCode.UNACCEPTABLE_PROTOCOL_VERSION;
    return { verdict: "refuse", connack: connack(code), version, reason: "unsupported-version" };
  }
  const empty = packet.clientId.length === 0;
  if (version === 3 && (empty || packet.clientId.length > 23)) {
    // MQTT 3.1: the client identifier is 1 to 23 characters.
    return {
      verdict: "refuse",
      connack: connack(ConnackReturnCode.IDENTIFIER_REJECTED),
      version,
      reason: "refused",
    };
  }
  if (version === 4 && empty && !packet.clean) {
    return {
      verdict: "refuse",
      connack: connack(ConnackReturnCode.IDENTIFIER_REJECTED),
      version,
      reason: "refused",
    };
  }
  return { verdict: "ask", needsClientId: empty };
}

function connack(reasonCode: number): ConnackPacket {
  return { type: PacketType.CONNACK, sessionPresent: false, reasonCode };
}

/** The closest 3.1.1 CONNACK return code for a 5.0 reason code (for `refuse` on a 3.1.1 connection). */
export function v3ReturnCode(code: number): number {
  if (code >= 1 && code <= 5) return code;
  switch (code) {
    case ReasonCode.UNSUPPORTED_PROTOCOL_VERSION:
      return ConnackReturnCode.UNACCEPTABLE_PROTOCOL_VERSION;
    case ReasonCode.CLIENT_IDENTIFIER_NOT_VALID:
      return ConnackReturnCode.IDENTIFIER_REJECTED;
    case ReasonCode.BAD_USER_NAME_OR_PASSWORD:
      return ConnackReturnCode.BAD_USERNAME_OR_PASSWORD;
    case ReasonCode.NOT_AUTHORIZED:
    case ReasonCode.BANNED:
    case ReasonCode.BAD_AUTHENTICATION_METHOD:
      return ConnackReturnCode.NOT_AUTHORIZED;
    default:
      return ConnackReturnCode.SERVER_UNAVAILABLE;
  }
}
