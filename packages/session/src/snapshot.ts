import type { ProtocolVersion } from "@amqtt/codec";
import type { ReceiverSnapshot, SenderSnapshot } from "@amqtt/qos";
import { InvalidSessionSnapshotError } from "./errors.js";
import type { SessionSubscription } from "./subscriptions.js";

/** The session snapshot format version this package writes and reads. */
export const SESSION_SNAPSHOT_VERSION = 1;

/**
 * A session's state as plain JSON-able data, version 1: what survives the
 * connection when the Session Expiry Interval (or 3.1.1 Clean Session 0) says so.
 * `JSON.parse(JSON.stringify(snapshot))` restores to the same state.
 */
export interface SessionSnapshot {
  version: 1;
  kind: "amqtt-session";
  role: "client" | "server";
  protocolVersion: ProtocolVersion;
  clientId: string;
  /** Seconds the session outlives the connection (3.1.1: 0 for clean, 0xFFFFFFFF for a persistent session). */
  sessionExpiryInterval: number;
  /** Granted subscriptions. */
  subscriptions: SessionSubscription[];
  /** Outgoing QoS 1/2 state of `@amqtt/qos`. */
  sender: SenderSnapshot;
  /** Incoming QoS 2 state of `@amqtt/qos`. */
  receiver: ReceiverSnapshot;
}

/**
 * Check the outer shape of a snapshot; the QoS parts are checked by `@amqtt/qos` on restore.
 * @throws InvalidSessionSnapshotError
 */
export function checkSnapshot(value: unknown, role: "client" | "server"): SessionSnapshot {
  if (typeof value !== "object" || value === null)
    throw new InvalidSessionSnapshotError("a snapshot is an object");
  const s = value as Partial<SessionSnapshot>;
  if (s.kind !== "amqtt-session")
    throw new InvalidSessionSnapshotError(`not a session snapshot: ${String(s.kind)}`);
  if (s.version !== SESSION_SNAPSHOT_VERSION) {
    throw new InvalidSessionSnapshotError(
      `unsupported session snapshot version ${JSON.stringify(s.version)}`,
    );
  }
  if (s.role !== role)
    throw new InvalidSessionSnapshotError(`a ${String(s.role)} snapshot cannot restore a ${role}`);
  if (s.protocolVersion !== 3 && s.protocolVersion !== 4 && s.protocolVersion !== 5) {
    throw new InvalidSessionSnapshotError(`unknown protocol version ${JSON.stringify(s.protocolVersion)}`);
  }
  if (typeof s.clientId !== "string") throw new InvalidSessionSnapshotError("clientId must be a string");
  if (
    typeof s.sessionExpiryInterval !== "number" ||
    !Number.isInteger(s.sessionExpiryInterval) ||
    s.sessionExpiryInterval < 0
  ) {
    throw new InvalidSessionSnapshotError("sessionExpiryInterval must be a non-negative integer");
  }
  if (!Array.isArray(s.subscriptions))
    throw new InvalidSessionSnapshotError("subscriptions must be an array");
  for (const sub of s.subscriptions) {
    if (typeof sub?.topicFilter !== "string" || (sub.qos !== 0 && sub.qos !== 1 && sub.qos !== 2)) {
      throw new InvalidSessionSnapshotError("each subscription needs a topicFilter and a QoS 0..2");
    }
  }
  return s as SessionSnapshot;
}
