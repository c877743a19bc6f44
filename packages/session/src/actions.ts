import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  MqttError,
  Packet,
  PublishPacket,
  SubscribeProperties,
  Subscription,
  UnsubscribeProperties,
  UserProperty,
  Will,
} from "@amqtt/codec";

/**
 * Timers a machine asks its shell for. At most one of each kind is armed; a new
 * `setTimer` of a kind replaces the previous one.
 * - `keepAlive`: client, time to check whether a PINGREQ is due; server, time to
 *   check whether 1.5x the keep alive passed with nothing received.
 * - `pingResponse`: client, the deadline for the PINGRESP.
 * - `connect`: server, the deadline for the CONNECT after {@link ServerSession.start}.
 * - `retry`: 3.1/3.1.1 only, the QoS retry timer of `@amqtt/qos` when enabled.
 */
export type TimerKind = "keepAlive" | "pingResponse" | "connect" | "retry";

/** Write these bytes to the peer, in order. `packet` is what they encode (for logs and tests). */
export interface SendAction {
  kind: "send";
  bytes: Uint8Array;
  packet: Packet;
}
/** Arm (or re-arm) the timer `timer` to fire in `ms` milliseconds; call `timerFired` then. */
export interface SetTimerAction {
  kind: "setTimer";
  timer: TimerKind;
  ms: number;
}
/** Disarm the timer `timer`. */
export interface ClearTimerAction {
  kind: "clearTimer";
  timer: TimerKind;
}
/**
 * Close the network connection after writing the bytes already asked for. The
 * machine is finished: later inputs are ignored. The shell drops its timers.
 */
export interface CloseAction {
  kind: "close";
  /** Short machine-readable cause, e.g. `protocol-error`, `keep-alive-timeout`, `refused`, `disconnect`. */
  reason: CloseReason;
  /** The MQTT reason code behind it (0 for a normal disconnection). */
  reasonCode: number;
}
/** Why a machine closed the connection. */
export type CloseReason =
  | "protocol-error"
  | "keep-alive-timeout"
  | "ping-timeout"
  | "connect-timeout"
  | "refused"
  | "unsupported-version"
  | "disconnect";

/**
 * A packet was not sent because it is larger than the peer's Maximum Packet Size
 * (5.0 [MQTT-3.1.2-24] / [MQTT-3.2.2-15]); it was discarded and the machine carried
 * on as if it had been sent [MQTT-3.1.2-25].
 */
export interface PacketDroppedAction {
  kind: "packetDropped";
  packet: Packet;
  size: number;
  limit: number;
}

/** The connection is up. */
export interface ConnectedAction {
  kind: "connected";
  /** Whether the server resumed an existing session. */
  sessionPresent: boolean;
  /** The client identifier in use (the assigned one when the server chose it). */
  clientId: string;
  /** The keep alive in force, in seconds (the Server Keep Alive when one was sent). */
  keepAlive: number;
  /** The CONNACK sent or received. */
  connack: ConnackPacket;
}

/** Server: a CONNECT arrived and was checked; answer with `accept`, `refuse` or `authContinue`. */
export interface ConnectRequestAction {
  kind: "connectRequest";
  packet: ConnectPacket;
  /** The CONNECT had an empty client id: `accept` must give `assignedClientId` [MQTT-3.1.3-6]. */
  needsClientId: boolean;
  /** 5.0 enhanced authentication started by the CONNECT, if any. */
  authentication?: { method: string; data?: Uint8Array };
}

/**
 * An application message received, its QoS acknowledgement already handled: the
 * fields of its PUBLISH, with the topic resolved from a Topic Alias when the
 * PUBLISH used one, and the 5.0 properties as received without the Topic Alias.
 */
export interface MessageAction extends Omit<PublishPacket, "type"> {
  kind: "message";
}

/**
 * Server with `answerPublishes`: a PUBLISH (any QoS) arrived and waits for the
 * shell's verdict, `answerPublish(requestId, reasonCode, now)`. Nothing is
 * acknowledged or delivered yet: an accepting answer (below 0x80) brings the
 * `message` action and the ack, so the shell routes `message` only, whatever the
 * option. Requests leave in arrival order whatever the order of the answers.
 */
export interface PublishRequestAction extends Omit<MessageAction, "kind"> {
  kind: "publishRequest";
  /** Names this request in `answerPublish`; increasing per connection, also for QoS 0 (which has no packet id). */
  requestId: number;
}

/** One entry of a SUBSCRIBE seen by the server. */
export interface SubscriptionRequest extends Subscription {
  /** 5.0 Subscription Identifier of the SUBSCRIBE, if any. */
  subscriptionIdentifier?: number;
  /** Set when the machine already refused this entry (invalid filter); the answer for it is ignored. */
  refusedWith?: number;
}

/** Server: a SUBSCRIBE arrived; answer with `answerSubscribe(packetId, codes)`. */
export interface SubscribeRequestAction {
  kind: "subscribeRequest";
  packetId: number;
  subscriptions: SubscriptionRequest[];
  properties?: SubscribeProperties;
}
/** Server: an UNSUBSCRIBE arrived; answer with `answerUnsubscribe(packetId)`. */
export interface UnsubscribeRequestAction {
  kind: "unsubscribeRequest";
  packetId: number;
  topicFilters: string[];
  properties?: UnsubscribeProperties;
}
/** Client: a SUBACK answered a `subscribe`. */
export interface SubscribedAction {
  kind: "subscribed";
  packetId: number;
  subscriptions: Subscription[];
  /** One per subscription, in order: granted QoS or a failure code (0x80 and up). */
  reasonCodes: number[];
}
/** Client: an UNSUBACK answered an `unsubscribe`. */
export interface UnsubscribedAction {
  kind: "unsubscribed";
  packetId: number;
  topicFilters: string[];
  /** 5.0: one per filter; 3.1.1: all 0. */
  reasonCodes: number[];
}
/** A PINGRESP arrived (client). */
export interface PongAction {
  kind: "pong";
}

/** A QoS 0 message was written. */
export interface PublishedAction {
  kind: "published";
  topic: string;
}
/** A QoS 1/2 message was taken by the flow; `seq` names it in `acked`. */
export interface PublishAcceptedAction {
  kind: "publishAccepted";
  seq: number;
}
/** A QoS 1/2 flow ended: PUBACK or PUBCOMP, or a failing PUBACK/PUBREC (reason code 0x80 and up). */
export interface AckedAction {
  kind: "acked";
  seq: number;
  packetId: number;
  qos: 1 | 2;
  reasonCode: number;
}
/** A QoS 1/2 message was refused or evicted by the bounded waiting queue. */
export interface PublishDroppedAction {
  kind: "publishDropped";
  seq?: number;
  reason: "queue-full" | "too-large";
  topic: string;
}

/** 5.0 enhanced authentication: the peer sent authentication data; answer with `authContinue` (or accept/refuse). */
export interface AuthRequestAction {
  kind: "authRequest";
  /** `connect` during the CONNECT exchange, `reauth` after it. */
  phase: "connect" | "reauth";
  method: string;
  data?: Uint8Array;
  /** The AUTH reason code received (0x18 or 0x19); absent for the CONNECT itself. */
  reasonCode?: number;
  packet?: AuthPacket;
}
/** Client: the server ended a re-authentication with AUTH 0x00. */
export interface AuthSucceededAction {
  kind: "authSucceeded";
  data?: Uint8Array;
}

/** The peer broke a protocol rule (or sent malformed bytes); a DISCONNECT/close follows. */
export interface ProtocolErrorAction {
  kind: "protocolError";
  error: MqttError;
}
/** A packet that the machine ignored (e.g. a SUBACK for no pending request). */
export interface IgnoredPacketAction {
  kind: "ignoredPacket";
  packet: Packet;
  reason: string;
}

/**
 * The connection ended (sent once per machine, after `close` or a transport close).
 * Carries what the shell needs for the session and the will.
 */
export interface DisconnectedAction {
  kind: "disconnected";
  /** Who ended it: the peer (DISCONNECT, CONNACK refusal, transport), or us. */
  initiator: "peer" | "local" | "transport";
  /** Reason code of the DISCONNECT/CONNACK, 0 for a normal disconnection. */
  reasonCode: number;
  /** 5.0 Reason String of the peer's DISCONNECT, if any. */
  reasonString?: string;
  userProperties?: UserProperty[];
  /** 5.0 Server Reference from a DISCONNECT or CONNACK. */
  serverReference?: string;
  /** Server: whether the will must be published (not after a DISCONNECT 0x00). */
  publishWill: boolean;
  /** The will of the CONNECT, if any (the shell publishes it after its Will Delay Interval). */
  will?: Will;
  /** Session Expiry Interval in force at the end, in seconds (0: the session ends now). */
  sessionExpiryInterval: number;
}

/** Every action a session machine returns, in the order to carry them out. */
export type SessionAction =
  | SendAction
  | SetTimerAction
  | ClearTimerAction
  | CloseAction
  | PacketDroppedAction
  | ConnectedAction
  | ConnectRequestAction
  | MessageAction
  | PublishRequestAction
  | SubscribeRequestAction
  | UnsubscribeRequestAction
  | SubscribedAction
  | UnsubscribedAction
  | PongAction
  | PublishedAction
  | PublishAcceptedAction
  | AckedAction
  | PublishDroppedAction
  | AuthRequestAction
  | AuthSucceededAction
  | ProtocolErrorAction
  | IgnoredPacketAction
  | DisconnectedAction;
