/**
 * @packageDocumentation
 * `@amqtt/session`: the per-connection MQTT protocol state machines, client role
 * and server role, for MQTT 3.1, 3.1.1 and 5.0. Sans-IO: bytes, commands, timer
 * expiries and the transport's close go in with the current monotonic time; an
 * ordered list of actions (send bytes, set/clear a timer, close, notifications)
 * comes out. Runs unchanged in Node and browsers.
 *
 * @example
 * ```ts
 * import { ClientSession, ServerSession } from "@amqtt/session";
 * const client = new ClientSession({ protocolVersion: 5 });
 * const server = new ServerSession();
 * const toServer = client.connect({ clientId: "c1" }, 0);        // [{ kind: "send", bytes, packet: CONNECT }]
 * for (const a of toServer) if (a.kind === "send") server.received(a.bytes, 0); // [..., { kind: "connectRequest" }]
 * const toClient = server.accept({}, 0);                         // [{ kind: "send", packet: CONNACK }, { kind: "connected" }, ...]
 * for (const a of toClient) if (a.kind === "send") client.received(a.bytes, 0); // [{ kind: "connected" }, ...]
 * ```
 */
export type {
  AckedAction,
  AuthRequestAction,
  AuthSucceededAction,
  ClearTimerAction,
  CloseAction,
  CloseReason,
  ConnectedAction,
  ConnectRequestAction,
  DisconnectedAction,
  IgnoredPacketAction,
  MessageAction,
  PacketDroppedAction,
  PongAction,
  ProtocolErrorAction,
  PublishAcceptedAction,
  PublishDroppedAction,
  PublishedAction,
  PublishRequestAction,
  SendAction,
  SessionAction,
  SetTimerAction,
  SubscribedAction,
  SubscribeRequestAction,
  SubscriptionRequest,
  TimerKind,
  UnsubscribedAction,
  UnsubscribeRequestAction,
} from "./actions.js";
export { type ClientDisconnectOptions, ClientSession } from "./client-session.js";
export { InvalidSessionSnapshotError, SessionUsageError } from "./errors.js";
export { ListPool } from "./list-pool.js";
export {
  type ClientSessionOptions,
  type CommonSessionOptions,
  type ConnectOptions,
  DEFAULT_MAX_EARLY_PACKETS,
  DEFAULT_MAX_PENDING_PUBLISHES,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAXIMUM_PACKET_SIZE,
  DEFAULT_MAXIMUM_PACKET_SIZE_BEFORE_CONNECT,
  DEFAULT_RECEIVE_MAXIMUM,
  DEFAULT_TOPIC_ALIAS_MAXIMUM,
  type PublishMessage,
  type ServerSessionOptions,
} from "./options.js";
export { type AcceptOptions, type ServerDisconnectOptions, ServerSession } from "./server-session.js";
export { MAX_SHARED_SHAPES, SharedPublish } from "./shared-publish.js";
export { SESSION_SNAPSHOT_VERSION, type SessionSnapshot } from "./snapshot.js";
export type { SessionSubscription } from "./subscriptions.js";
export {
  type AliasedTopic,
  DEFAULT_MAX_OUTBOUND_ALIASES,
  InboundTopicAliases,
  OutboundTopicAliases,
} from "./topic-aliases.js";
