/**
 * @packageDocumentation
 * `@amqtt/qos`: MQTT QoS 1 and QoS 2 flow tracking for 3.1.1 and 5.0, sans-IO.
 * Packet identifier allocation, the sender's in-flight window and bounded waiting
 * queue, the receiver's exactly-once bookkeeping, resend after reconnect, and
 * snapshots as plain JSON. No IO, no timers, no clock: every input carries `now`
 * and every call returns the actions to carry out.
 *
 * @example
 * ```ts
 * // QosSender and QosReceiver come from this package (`@amqtt/qos`).
 * const sender = new QosSender({ protocolVersion: 5 });
 * const receiver = new QosReceiver({ protocolVersion: 5 });
 * sender.connected({ sessionPresent: false }, 0);
 * const [, send] = sender.publish({ topic: "a/b", payload: new Uint8Array([1]), qos: 2 }, 0);
 * // send = { kind: "send", packet: PUBLISH qos 2 packetId 1 }; hand the packet to the receiver, and so on.
 * ```
 */

export { Deque } from "./deque.js";
export {
  InvalidSnapshotError,
  type SnapshotErrorOptions,
  UnsupportedSnapshotVersionError,
} from "./errors.js";
export { MAX_PACKET_ID, PacketIdAllocator, type PacketIdAllocatorOptions } from "./packet-ids.js";
export { fromPlain, type Plain, type PlainBytes, toPlain } from "./plain.js";
export { type PublishFields, publishPacketOf } from "./publish-packet.js";
export {
  type DeliverAction,
  QosReceiver,
  RECEIVER_SNAPSHOT_VERSION,
  type ReceiveMaximumExceededAction,
  type ReceiveOptions,
  type ReceiverAction,
  type ReceiverOptions,
  type ReceiverSendAction,
  type ReceiverSnapshot,
} from "./receiver.js";
export { messageSize, QosSender } from "./sender.js";
export { type PlainMessage, SENDER_SNAPSHOT_VERSION, type SenderSnapshot } from "./sender-snapshot.js";
export {
  type AcceptedAction,
  type ClearTimerAction,
  type CompletedAction,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  type DroppedAction,
  type FailedAction,
  MAX_RECEIVE_MAXIMUM,
  type OutgoingMessage,
  type OverflowPolicy,
  type RejectedAction,
  type SendAction,
  type SenderAck,
  type SenderAction,
  type SenderConnectedInput,
  type SenderOptions,
  type SetTimerAction,
  type UnexpectedAckAction,
} from "./sender-types.js";
