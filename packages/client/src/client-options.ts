import type { ConnectProperties, PublishProperties, QoS, Subscription } from "@amqtt/codec";

/** Options of {@link MQTTClient.connect}, aMQTT's keyword arguments plus ours. */
export interface ConnectCallOptions {
  /** Clean Session (3.1.1) / Clean Start (5.0); default the config's `cleansession`. */
  cleanSession?: boolean;
  cleansession?: boolean;
  cafile?: string;
  capath?: string;
  cadata?: string;
  /** Extra HTTP headers for a `ws://`/`wss://` handshake (aMQTT's `additional_headers`; Node only). */
  additionalHeaders?: Record<string, string>;
  /** 5.0 CONNECT properties (Session Expiry comes from the config unless given here). */
  properties?: ConnectProperties;
  /** 5.0 enhanced authentication: method, first data, and the answer to each challenge. */
  auth?: EnhancedAuth;
  signal?: AbortSignal;
}

/** 5.0 enhanced authentication (AUTH exchange) hook. */
export interface EnhancedAuth {
  method: string;
  data?: Uint8Array;
  /** Answer a challenge of the server with more data. */
  onChallenge(data: Uint8Array | undefined): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** Options of {@link MQTTClient.publish}. */
export interface PublishCallOptions {
  /** Default: the topic's entry in `topics`, then `default_qos`. */
  qos?: QoS;
  /** Default: the topic's entry in `topics`, then `default_retain`. An explicit `false` wins. */
  retain?: boolean;
  /** 5.0 PUBLISH properties. */
  properties?: PublishProperties;
  /** Seconds to wait for the acknowledgement (default: the config's `ack_timeout`, else no limit). */
  ackTimeout?: number;
  signal?: AbortSignal;
}

/** One subscription: aMQTT's `[filter, qos]` pair, or the full 5.0 form. */
export type SubscriptionInput = [topicFilter: string, qos: QoS] | Subscription;

/** Options of calls that only take a signal. */
export interface SignalOptions {
  signal?: AbortSignal;
}

/** Where the client is. */
export type ClientState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";
