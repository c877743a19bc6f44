// Common MQTT exchanges scripted on a MqttPeer: subscribe, publish with its full
// QoS flow, receive messages acknowledging each, and prove nothing else is pending.
import { type PacketOf, PacketType, type QoS, ReasonCode } from "@amqtt/codec";
import { describe as describePacket, type MqttPeer } from "./peer.js";

const text = new TextEncoder();
let nextPacketId = 1;
const packetId = (): number => (nextPacketId = (nextPacketId % 65535) + 1);

/** SUBSCRIBE to `filters` (filter, QoS) and return the SUBACK's reason codes. */
export async function subscribe(peer: MqttPeer, filters: Record<string, QoS>): Promise<number[]> {
  const id = packetId();
  peer.send({
    type: PacketType.SUBSCRIBE,
    packetId: id,
    subscriptions: Object.entries(filters).map(([topicFilter, qos]) => ({ topicFilter, qos })),
  });
  const suback = await peer.expect("suback");
  if (suback.packetId !== id) throw new Error(`SUBACK for ${suback.packetId}, sent ${id}`);
  return suback.reasonCodes;
}

/** UNSUBSCRIBE from `filters` and return the UNSUBACK's reason codes (empty in 3.1.1). */
export async function unsubscribe(peer: MqttPeer, ...filters: string[]): Promise<number[]> {
  peer.send({ type: PacketType.UNSUBSCRIBE, packetId: packetId(), topicFilters: filters });
  return (await peer.expect("unsuback")).reasonCodes ?? [];
}

/**
 * PUBLISH and complete its flow (PUBACK for QoS 1; PUBREC, PUBREL, PUBCOMP for QoS 2).
 * @returns the broker's reason code (PUBACK or PUBREC), Success for QoS 0.
 */
export async function publish(
  peer: MqttPeer,
  topic: string,
  payload: string,
  options: { qos?: QoS; retain?: boolean } = {},
): Promise<number> {
  const qos = options.qos ?? 0;
  const id = qos === 0 ? undefined : packetId();
  peer.send({
    type: PacketType.PUBLISH,
    topic,
    payload: text.encode(payload),
    qos,
    retain: options.retain ?? false,
    dup: false,
    packetId: id,
  });
  if (qos === 0) return ReasonCode.SUCCESS;
  if (qos === 1) return (await peer.expect("puback")).reasonCode ?? ReasonCode.SUCCESS;
  const pubrec = await peer.expect("pubrec");
  const code = pubrec.reasonCode ?? ReasonCode.SUCCESS;
  if (code >= 0x80) return code;
  peer.send({ type: PacketType.PUBREL, packetId: id! });
  await peer.expect("pubcomp");
  return code;
}

/** A delivered message: topic, payload as text, and the PUBLISH itself. */
export type Delivered = [topic: string, payload: string, packet: PacketOf<typeof PacketType.PUBLISH>];

/**
 * Receive `count` PUBLISH packets, acknowledging each as a client must (PUBACK;
 * PUBREC then PUBCOMP on PUBREL). Any other packet fails the step.
 */
export async function receive(peer: MqttPeer, count: number): Promise<Delivered[]> {
  const got: Delivered[] = [];
  let releasesOwed = 0;
  while (got.length < count || releasesOwed > 0) {
    const packet = await peer.next();
    if (packet.type === PacketType.PUBLISH) {
      got.push([packet.topic, new TextDecoder().decode(packet.payload), packet]);
      if (packet.qos === 1) peer.send({ type: PacketType.PUBACK, packetId: packet.packetId! });
      if (packet.qos === 2) {
        peer.send({ type: PacketType.PUBREC, packetId: packet.packetId! });
        releasesOwed++;
      }
    } else if (packet.type === PacketType.PUBREL) {
      peer.send({ type: PacketType.PUBCOMP, packetId: packet.packetId });
      releasesOwed--;
    } else throw new Error(`expected a PUBLISH, got ${describePacket(packet)}`);
  }
  return got;
}

/**
 * Prove the broker has nothing pending for `peer`: a PINGREQ's answer comes next.
 * The broker writes a connection's packets in order, so any PUBLISH it had already
 * routed to this peer would arrive before the PINGRESP.
 */
export async function expectNothingPending(peer: MqttPeer): Promise<void> {
  peer.send({ type: PacketType.PINGREQ });
  await peer.expect("pingresp");
}

/** Receive exactly one PUBLISH (acknowledged as in {@link receive}). */
export async function receiveOne(peer: MqttPeer): Promise<Delivered> {
  const [only] = await receive(peer, 1);
  return only!;
}
