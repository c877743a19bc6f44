import type { PublishProperties, QoS } from "@amqtt/codec";
import type { PluginMessage } from "../plugins/types.js";

/** A message for an offline queue or the retained store, with a monotonic expiry. */
export interface OfflineMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  expiresAt: number | undefined;
}

/**
 * The properties to send with a message that expires at `expiresAt`: the Message
 * Expiry Interval becomes the time left (5.0 section 3.3.2.3.3). `null` when it
 * already expired and must not be sent.
 */
export function withRemainingExpiry(
  properties: PublishProperties | undefined,
  expiresAt: number | undefined,
  t: number,
): PublishProperties | undefined | null {
  if (expiresAt === undefined) return properties;
  const left = Math.ceil((expiresAt - t) / 1000);
  if (left <= 0) return null;
  return { ...properties, messageExpiryInterval: left };
}

/** The plugin view of a received PUBLISH or a will (no undefined `properties`). */
export function messageOf(m: {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
}): PluginMessage {
  const message: PluginMessage = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain };
  if (m.properties !== undefined) message.properties = m.properties;
  return message;
}
