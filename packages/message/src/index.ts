/**
 * @packageDocumentation
 * `@amqtt/message`: aMQTT's application message model (`ApplicationMessage`,
 * `IncomingApplicationMessage`, `OutgoingApplicationMessage`) over the packets of
 * `@amqtt/codec`, MQTT topic name and filter validation with statement ids,
 * topic matching, and a subscription tree for brokers. Sans-IO: no Node APIs,
 * runs in browsers.
 *
 * @example
 * ```ts
 * // OutgoingApplicationMessage, SubscriptionTree and topicMatches imported from this package:
 * const message = new OutgoingApplicationMessage(1, "a/b", 1, new TextEncoder().encode("hi"), false);
 * const packet = message.buildPublishPacket(); // { type: 3, topic: "a/b", qos: 1, packetId: 1, ... }
 * topicMatches("a/+", "a/b"); // true
 * const tree = new SubscriptionTree<{ qos: 0 | 1 | 2 }>();
 * tree.add("a/#", "client-1", { qos: 1 });
 * tree.match("a/b").subscriptions; // [{ clientId: "client-1", filter: "a/#", value: { qos: 1 }, ... }]
 * ```
 */
export {
  InvalidTopicFilterError,
  InvalidTopicNameError,
  PayloadFormatInvalidError,
  type TopicErrorOptions,
} from "./errors.js";
export {
  ApplicationMessage,
  type ApplicationMessageClass,
  type FromPublishPacketOptions,
  IncomingApplicationMessage,
  type MessageProperties,
  OutgoingApplicationMessage,
} from "./message.js";
export {
  MatchResult,
  type SharedGroup,
  type Subscription,
  SubscriptionTree,
} from "./subscription-tree.js";
export {
  checkTopicFilter,
  checkTopicName,
  hasWildcards,
  isSharedFilter,
  isValidTopicFilter,
  isValidTopicName,
  MAX_TOPIC_BYTES,
  type ParsedTopicFilter,
  parseTopicFilter,
  type TopicFilterOptions,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from "./topic.js";
