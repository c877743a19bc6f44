import type { ConnectPacket, ProtocolVersion, PublishProperties, QoS } from "@amqtt/codec";
import type { OverflowPolicy } from "@amqtt/qos";

/** Default largest packet we accept: 1 MiB (advertised as Maximum Packet Size in 5.0). */
export const DEFAULT_MAXIMUM_PACKET_SIZE = 1024 * 1024;
/** Default Receive Maximum we advertise (5.0): unacknowledged QoS 1/2 PUBLISH packets we accept. */
export const DEFAULT_RECEIVE_MAXIMUM = 100;
/** Default Topic Alias Maximum we advertise (5.0). */
export const DEFAULT_TOPIC_ALIAS_MAXIMUM = 16;
/** Default bound on SUBSCRIBE/UNSUBSCRIBE requests waiting for their answer. */
export const DEFAULT_MAX_PENDING_REQUESTS = 1000;
/** Default bound on incoming PUBLISH packets a server holds for the shell's answer (`answerPublishes`). */
export const DEFAULT_MAX_PENDING_PUBLISHES = 1000;
/**
 * Default largest packet a server accepts before a CONNECT has been decoded:
 * 128 KiB. It fits a CONNECT with one field at its 65,535-byte maximum (a
 * password or will payload) beside ordinary others, and keeps what an
 * unauthenticated peer can make the server buffer far below `maximumPacketSize`.
 */
export const DEFAULT_MAXIMUM_PACKET_SIZE_BEFORE_CONNECT = 128 * 1024;
/** Default bound on packets a server holds between a CONNECT and the shell's answer. */
export const DEFAULT_MAX_EARLY_PACKETS = 64;

/** Options both roles share. */
export interface CommonSessionOptions {
  /** Largest packet accepted, in bytes (default {@link DEFAULT_MAXIMUM_PACKET_SIZE}); larger is 0x95. */
  maximumPacketSize?: number;
  /** 5.0 Receive Maximum we advertise and enforce, 1..65535 (default {@link DEFAULT_RECEIVE_MAXIMUM}). */
  receiveMaximum?: number;
  /** 5.0 Topic Alias Maximum we advertise and accept, 0..65535 (default {@link DEFAULT_TOPIC_ALIAS_MAXIMUM}). */
  topicAliasMaximum?: number;
  /** Cap on the aliases we assign, whatever the peer allows (default 64; 0 turns outbound aliases off). */
  maxOutboundTopicAliases?: number;
  /** Local cap on our unacknowledged QoS 1/2 PUBLISH packets (the window is also bounded by the peer's Receive Maximum). */
  maxInFlight?: number;
  /** Bound on QoS 1/2 messages waiting for a window slot (see `@amqtt/qos`). */
  maxQueuedMessages?: number;
  /** Bound on the bytes of waiting QoS 1/2 messages. */
  maxQueuedBytes?: number;
  /** What to do when the waiting queue is full. */
  overflow?: OverflowPolicy;
  /** 3.1/3.1.1 only: resend unacknowledged QoS packets after this many ms on the same connection (default off). */
  retryIntervalMs?: number;
  /** Bound on SUBSCRIBE/UNSUBSCRIBE requests waiting for their answer (default {@link DEFAULT_MAX_PENDING_REQUESTS}). */
  maxPendingRequests?: number;
}

/** An application message to publish (client) or deliver (server). */
export interface PublishMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain?: boolean;
  /** 5.0 PUBLISH properties; the Topic Alias is the machine's business and must be absent. */
  properties?: PublishProperties;
}

/** What a client puts in its CONNECT. */
export type ConnectOptions = Omit<
  ConnectPacket,
  "type" | "protocolVersion" | "protocolName" | "clean" | "keepAlive"
> & {
  /** Clean Session (3.1.1) / Clean Start (5.0); default true. */
  clean?: boolean;
  /** Keep alive in seconds; default 60, 0 turns it off. */
  keepAlive?: number;
};

/** Options of a client machine. */
export interface ClientSessionOptions extends CommonSessionOptions {
  /** 3 (3.1), 4 (3.1.1) or 5 (5.0); default 4. */
  protocolVersion?: ProtocolVersion;
  /** How long to wait for a PINGRESP before closing, in ms (default: the keep alive, at most 30 s). */
  pingTimeoutMs?: number;
  /**
   * Ask the shell about every incoming PUBLISH with a `publishRequest` action
   * instead of acknowledging it at once; the shell answers with
   * `ClientSession.answerPublish` when it holds the message (a bridge PUBACKs
   * only once its own broker has the message). Default false.
   */
  answerPublishes?: boolean;
  /** With `answerPublishes`: bound on PUBLISH packets waiting for their answer (default {@link DEFAULT_MAX_PENDING_PUBLISHES}). */
  maxPendingPublishes?: number;
}

/** Options of a server machine. */
export interface ServerSessionOptions extends CommonSessionOptions {
  /** Protocol levels accepted (default 3, 4 and 5). Others are refused [MQTT-3.1.2-2]. */
  protocolVersions?: readonly ProtocolVersion[];
  /** Deadline for the CONNECT after `start`, in ms (default 10 s; 0 turns it off). */
  connectTimeoutMs?: number;
  /**
   * Largest packet accepted until the CONNECT is decoded, in bytes (default
   * {@link DEFAULT_MAXIMUM_PACKET_SIZE_BEFORE_CONNECT}; the smaller of this and
   * `maximumPacketSize` applies). Judged from the fixed header: a larger one
   * closes the connection without CONNACK before its body is buffered.
   */
  maximumPacketSizeBeforeConnect?: number;
  /** 5.0: a Server Keep Alive to impose on every client (seconds). */
  serverKeepAlive?: number;
  /** Bound on packets held between the CONNECT and `accept` (default {@link DEFAULT_MAX_EARLY_PACKETS}). */
  maxEarlyPackets?: number;
  /**
   * Ask the shell about every incoming PUBLISH (QoS 0, 1 and 2) with a
   * `publishRequest` action instead of acknowledging and delivering it at once;
   * the shell answers with `ServerSession.answerPublish` (default false).
   */
  answerPublishes?: boolean;
  /**
   * With `answerPublishes`: bound on PUBLISH packets waiting for their answer or
   * held behind an unanswered one (default {@link DEFAULT_MAX_PENDING_PUBLISHES});
   * one more is a protocol error answered with 0x97 Quota exceeded. QoS 1/2 ones
   * also count against our Receive Maximum (0x93).
   */
  maxPendingPublishes?: number;
  /**
   * Keep the granted subscriptions in the machine (default true): `subscriptions`,
   * `snapshot().subscriptions` and the 0x00/0x11 choice of `answerUnsubscribe`
   * without codes read them. A shell that keeps its own set (a broker with a
   * subscription tree) says false, so each subscription is held once, not twice;
   * it must then give `answerUnsubscribe` its codes.
   */
  trackSubscriptions?: boolean;
}
