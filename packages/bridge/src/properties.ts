import type { PublishProperties } from "@amqtt/codec";
import type { MessageProperties } from "@amqtt/message";

/**
 * The user property a 5.0 bridge adds to each message it carries, one per hop,
 * with the bridge's client id: a bridge never carries a message that already
 * holds its own id (two brokers bridging each other stop after one round).
 */
export const HOP_PROPERTY = "amqtt-bridge";

/** Whether `properties` show that the bridge with `clientId` carried the message before. */
export function carriedBy(properties: MessageProperties | undefined, clientId: string): boolean {
  const list = properties?.userProperties;
  if (list === undefined) return false;
  for (const [key, value] of list) if (key === HOP_PROPERTY && value === clientId) return true;
  return false;
}

/**
 * The application properties of a message as it crosses a bridge: what the
 * publisher set (format, content type, response topic, correlation data, user
 * properties) plus our hop; never the per-connection ones (Topic Alias,
 * Subscription Identifiers). The Message Expiry Interval is set by the caller
 * from the time left.
 */
export function crossingProperties(
  properties: MessageProperties | undefined,
  hop: string | undefined,
): PublishProperties | undefined {
  const out: PublishProperties = {};
  if (properties !== undefined) {
    if (properties.payloadFormatIndicator !== undefined)
      out.payloadFormatIndicator = properties.payloadFormatIndicator;
    if (properties.contentType !== undefined) out.contentType = properties.contentType;
    if (properties.responseTopic !== undefined) out.responseTopic = properties.responseTopic;
    if (properties.correlationData !== undefined) out.correlationData = properties.correlationData;
    if (properties.userProperties !== undefined) out.userProperties = [...properties.userProperties];
  }
  if (hop !== undefined) out.userProperties = [...(out.userProperties ?? []), [HOP_PROPERTY, hop]];
  return Object.keys(out).length === 0 ? undefined : out;
}
