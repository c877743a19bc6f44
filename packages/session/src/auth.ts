import { type AuthPacket, PacketType, ProtocolError, ReasonCode } from "@amqtt/codec";

/** Build an AUTH packet (5.0 section 3.15). */
export function authPacket(
  reasonCode: number,
  method: string,
  data: Uint8Array | undefined,
  reasonString?: string,
): AuthPacket {
  const properties: NonNullable<AuthPacket["properties"]> = { authenticationMethod: method };
  if (data !== undefined) properties.authenticationData = data;
  if (reasonString !== undefined) properties.reasonString = reasonString;
  return { type: PacketType.AUTH, reasonCode, properties };
}

/**
 * Check an AUTH received against the method of the CONNECT: no method means no
 * AUTH may be exchanged ([MQTT-4.12.0-6] / [MQTT-4.12.0-7]); the method must be the
 * CONNECT's one (section 3.15, [MQTT-4.12.1-1] for re-authentication).
 */
export function checkAuth(packet: AuthPacket, method: string | undefined): ProtocolError | undefined {
  if (method === undefined) return new ProtocolError("AUTH without an Authentication Method in CONNECT");
  const got = packet.properties?.authenticationMethod;
  if (got !== method) {
    return new ProtocolError(`AUTH with method ${JSON.stringify(got)} instead of ${JSON.stringify(method)}`);
  }
  return undefined;
}

/** The reason code of an AUTH (0x00 when absent). */
export function authCode(packet: AuthPacket): number {
  return packet.reasonCode ?? ReasonCode.SUCCESS;
}
