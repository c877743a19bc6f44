import { PacketType, type PublishPacket, type PublishProperties, type QoS } from "@amqtt/codec";

/** What a PUBLISH is made of: an application message as the sender and the session hold it. */
export interface PublishFields {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain?: boolean;
  properties?: PublishProperties;
}

/**
 * The PUBLISH packet for a message. Every PUBLISH the sender and the session
 * build comes from here, so they share one object shape (fields always in this
 * order) and the encoder's call sites stay monomorphic.
 */
export function publishPacketOf(message: PublishFields, dup: boolean, packetId?: number): PublishPacket {
  const packet: PublishPacket = {
    type: PacketType.PUBLISH,
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain ?? false,
    dup,
  };
  if (packetId !== undefined) packet.packetId = packetId;
  if (message.properties !== undefined) packet.properties = message.properties;
  return packet;
}
