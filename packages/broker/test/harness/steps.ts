// Common MQTT exchanges scripted on a MqttPeer: subscribe, publish with its full
// QoS flow, receive messages acknowledging each, and prove nothing else is pending.
import {
  type PacketOf,
  PacketType,
  type PublishProperties,
  type QoS,
  ReasonCode,
  type SubscribeProperties,
  type Subscription,
} from "@amqtt/codec";
import { describe as describePacket, type MqttPeer } from "./peer.js";

const text = new TextEncoder();
let nextPacketId = 1;
const packetId = (): number => (nextPacketId = (nextPacketId % 65535) + 1);

/** A filter's requested QoS, or its full 5.0 subscription options. */
export type SubscribeAs = QoS | Omit<Subscription, "topicFilter">;

/**
 * SUBSCRIBE to `filters` (filter: QoS or subscription options; `properties`
 * such as a Subscription Identifier) and return the SUBACK's reason codes.
 */
export async function subscribe(
  peer: MqttPeer,
  filters: Record<string, SubscribeAs>,
  properties?: SubscribeProperties,
): Promise<number[]> {
  const id = packetId();
  peer.send({
    type: PacketType.SUBSCRIBE,
    packetId: id,
    subscriptions: Object.entries(filters).map(([topicFilter, as]) =>
      typeof as === "number" ? { topicFilter, qos: as } : { topicFilter, ...as },
    ),
    ...(properties === undefined ? {} : { properties }),
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

/** Options of {@link publish} and {@link sendPublish}. */
export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** 5.0 PUBLISH properties (Message Expiry Interval, ...). */
  properties?: PublishProperties;
}

/**
 * Send a PUBLISH without awaiting its acknowledgement (for tests that watch when
 * it comes). @returns its packet id (undefined for QoS 0).
 */
export function sendPublish(
  peer: MqttPeer,
  topic: string,
  payload: string | Uint8Array,
  options: PublishOptions = {},
): number | undefined {
  const qos = options.qos ?? 0;
  const id = qos === 0 ? undefined : packetId();
  peer.send({
    type: PacketType.PUBLISH,
    topic,
    payload: typeof payload === "string" ? text.encode(payload) : payload,
    qos,
    retain: options.retain ?? false,
    dup: false,
    packetId: id,
    ...(options.properties === undefined ? {} : { properties: options.properties }),
  });
  return id;
}

/**
 * PUBLISH and complete its flow (PUBACK for QoS 1; PUBREC, PUBREL, PUBCOMP for QoS 2).
 * @returns the broker's reason code (PUBACK or PUBREC), Success for QoS 0.
 */
export async function publish(
  peer: MqttPeer,
  topic: string,
  payload: string | Uint8Array,
  options: PublishOptions = {},
): Promise<number> {
  const qos = options.qos ?? 0;
  const id = sendPublish(peer, topic, payload, options);
  if (qos === 0) return ReasonCode.SUCCESS;
  if (qos === 1) {
    const puback = await peer.expect("puback");
    if (puback.packetId !== id) throw new Error(`PUBACK for ${puback.packetId}, sent ${id}`);
    return puback.reasonCode ?? ReasonCode.SUCCESS;
  }
  const pubrec = await peer.expect("pubrec");
  if (pubrec.packetId !== id) throw new Error(`PUBREC for ${pubrec.packetId}, sent ${id}`);
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

/**
 * Receive every PUBLISH the broker has already routed to `peer` (acknowledging
 * QoS 1 one with PUBACK), up to the answer of a PINGREQ: the broker
 * writes a connection's packets in order, so what it sent before the PINGRESP is
 * all there was. For counts a test cannot know in advance (which member of a
 * shared group got what).
 */
export async function receiveAll(peer: MqttPeer): Promise<Delivered[]> {
  peer.send({ type: PacketType.PINGREQ });
  const got: Delivered[] = [];
  for (;;) {
    const packet = await peer.next();
    if (packet.type === PacketType.PINGRESP) return got;
    if (packet.type === PacketType.PUBLISH) {
      got.push([packet.topic, new TextDecoder().decode(packet.payload), packet]);
      if (packet.qos === 1) peer.send({ type: PacketType.PUBACK, packetId: packet.packetId! });
      // A QoS 2 flow would reach past the PINGRESP (PUBREL after our PUBREC): use receive().
      if (packet.qos === 2) throw new Error("receiveAll takes QoS 0 and 1 deliveries only");
    } else throw new Error(`expected a PUBLISH or PINGRESP, got ${describePacket(packet)}`);
  }
}

/**
 * Make sure every PUBLISH `peer` sent before has been through the broker's
 * publish policy and routing: one more QoS 1 PUBLISH, on a "$" topic no wildcard
 * matches [MQTT-4.7.2-1], and its PUBACK; the broker answers a connection's
 * publishes in arrival order [MQTT-4.6.0-2]. For QoS 0 messages, which have no
 * acknowledgement of their own.
 */
export async function settled(peer: MqttPeer): Promise<void> {
  await publish(peer, "$harness/settled", "", { qos: 1 });
}
