import type { ProtocolVersion } from "@amqtt/codec";
import { checkTopicName } from "@amqtt/message";
import { SessionUsageError } from "./errors.js";
import type { PublishMessage } from "./options.js";

/**
 * Check a message handed to `publish`/`deliver` (API misuse throws).
 * @throws SessionUsageError for QoS outside 0..2, a payload that is not bytes, or
 * a Topic Alias given by hand; a client also may not send a Subscription Identifier [MQTT-3.3.4-6].
 * @throws InvalidTopicNameError (from `@amqtt/message`) for an invalid topic name.
 */
export function checkPublish(
  message: PublishMessage,
  _version: ProtocolVersion,
  role: "client" | "server",
): void {
  if (message.qos !== 0 && message.qos !== 1 && message.qos !== 2) {
    throw new SessionUsageError(`QoS must be 0, 1 or 2, got ${String(message.qos)}`);
  }
  if (!(message.payload instanceof Uint8Array)) throw new SessionUsageError("payload must be a Uint8Array");
  const bad = checkTopicName(message.topic);
  if (bad !== undefined) throw bad;
  if (message.properties?.topicAlias !== undefined) {
    throw new SessionUsageError("Topic Aliases are assigned by the session; leave topicAlias unset");
  }
  if (role === "client" && message.properties?.subscriptionIdentifiers !== undefined) {
    throw new SessionUsageError("a client PUBLISH carries no Subscription Identifier [MQTT-3.3.4-6]");
  }
}
