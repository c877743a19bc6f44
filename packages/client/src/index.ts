/**
 * @packageDocumentation
 * `@amqtt/client`: aMQTT's `MQTTClient` for Node and browsers. MQTT 3.1.1 and 5.0
 * over `mqtt://`, `mqtts://` (Node), `ws://` and `wss://`; promises that always
 * settle with a typed error; reconnect with backoff and jitter, session resume
 * and resubscription; bounded offline and delivery queues. This entry has no
 * Node built-ins: the TCP dialer (`@amqtt/client/node`) is loaded only for
 * `mqtt(s)://` URIs in Node.
 *
 * @example
 * ```ts
 * import { MQTTClient } from "@amqtt/client";
 * const client = new MQTTClient({ config: { keep_alive: 30 } });
 * await client.connect("mqtt://127.0.0.1:1883");
 * await client.subscribe([["sensors/#", 1]]);
 * await client.publish("sensors/t1", "21.5", { qos: 1 });
 * const message = await client.deliverMessage({ timeout: 5 });
 * await client.disconnect();
 * ```
 */

// Reason codes by name, for SUBACK/PUBACK answers and `disconnect({ reasonCode })`.
export { isFailure, ReasonCode, reasonCodeName } from "@amqtt/codec";
export { IncomingApplicationMessage, OutgoingApplicationMessage } from "@amqtt/message";
export type { SessionSnapshot } from "@amqtt/session";
export { type BackoffOptions, backoffDelay } from "./backoff.js";
export { MQTTClient } from "./client.js";
export type {
  ClientState,
  ConnectCallOptions,
  EnhancedAuth,
  PublishCallOptions,
  SignalOptions,
  SubscriptionInput,
} from "./client-options.js";
export { type Clock, systemClock, type TimerHandle } from "./clock.js";
export {
  type BeforeSend,
  type ClientConfig,
  type ClientConfigInput,
  type ConnectionConfig,
  type DialFunction,
  resolveConfig,
  type TlsSettings,
  type TopicConfig,
  type WillConfig,
} from "./config.js";
/** The default transport of `MQTTClient` (for a `dial` that wraps it, e.g. fail-over across addresses). */
export { dialUri } from "./dial.js";
export {
  AbortError,
  ClientConfigError,
  ClientError,
  ClientPluginError,
  ClosedError,
  ConnectError,
  PublishError,
  TimeoutError,
} from "./errors.js";
export { type ClientEvents, TypedEvents } from "./events.js";
export { BoundedQueue, type OverflowPolicy } from "./offline-queue.js";
export { eventLoggerPlugin } from "./plugins/event-logger.js";
export { type ClientLogger, defaultClientLogger } from "./plugins/logger.js";
export { packetForLog, packetLoggerPlugin } from "./plugins/packet-logger.js";
export { builtinClientPlugins, type ClientPluginSpec } from "./plugins/resolve.js";
export {
  type AnyClientPluginDefinition,
  type ClientPlugin,
  type ClientPluginContext,
  type ClientPluginDefinition,
  type ClientPluginFactory,
  type ClientPluginOptionIssue,
  defineClientPlugin,
  noOptions,
} from "./plugins/types.js";
export { type BrokerUri, DEFAULT_PORTS, parseBrokerUri } from "./uri.js";
