import type { PublishProperties, QoS } from "@amqtt/codec";
import type { Logger } from "../logger.js";
import type { BrokerContext } from "./context-types.js";
import type { BrokerStats } from "./stats-types.js";

export type { BrokerStats };

// The plugin contract of the broker: typed async hooks with defaults, in the
// style aMQTT and Aedes users know. A plugin implements any subset. Policy hooks
// answer; event hooks only observe. The broker calls every hook with a timeout
// and catches what it throws: a plugin that throws or hangs is logged and treated
// as abstaining (policy) or ignored (events), and never takes the broker down.

/** Who a hook is about: one connected (or connecting) client. */
export interface ClientInfo {
  clientId: string;
  username: string | undefined;
  password: Uint8Array | undefined;
  /** 3 (3.1), 4 (3.1.1) or 5 (5.0). */
  protocolVersion: 3 | 4 | 5;
  /** Name of the listener it came through (`default`, ...). */
  listener: string;
  remoteAddress: string | undefined;
  /**
   * The client's IP address alone (no port), as the broker sees it: behind a
   * trusted proxy, the one its PROXY header or `X-Forwarded-For` named. `%a` in ACL filters.
   */
  remoteHost?: string;
  /**
   * The peer certificate of a TLS client that presented one: DER, subject, the
   * URIs among its subject alternative names, and whether its chain verified.
   */
  certificate?: { der: Uint8Array; subject?: string; uris?: string[]; authorized: boolean };
  /** True once an authentication plugin accepted the client as anonymous (aMQTT's `is_anonymous`). */
  anonymous: boolean;
  /**
   * A 3.1/3.1.1 bridge (Mosquitto's bridge bit in its CONNECT): its subscriptions
   * get No Local and Retain As Published, as Mosquitto gives them.
   */
  bridge?: boolean;
  /** Free-form per-client state for plugins (aMQTT's `Session.attributes`). */
  attributes: Map<string, unknown>;
}

/** An application message as plugins see it. */
export interface PluginMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** 5.0 properties (content type, user properties, ...). */
  properties?: PublishProperties;
}

/**
 * An authentication answer: `true` accepts, `false` refuses, `undefined` abstains.
 * A client is accepted when at least one plugin accepted and none refused (aMQTT's rule).
 * An object refuses with a specific CONNACK reason code (5.0) and reason string;
 * with 0x9C Use another server or 0x9D Server moved and a `serverReference`, it
 * redirects a 5.0 client (section 4.11).
 */
export type AuthAnswer = boolean | undefined | { refuse: number; reason?: string; serverReference?: string };

/**
 * An authorization answer: `true` allows, `false` denies, `undefined` abstains
 * (allowed when every plugin abstains). A number denies with that reason code
 * (e.g. 0x87 Not authorized for a SUBSCRIBE in 5.0; 3.1.1 always gets 0x80).
 */
export type AuthzAnswer = boolean | undefined | number;

/** One step of a 5.0 enhanced authentication exchange (section 4.12). */
export interface EnhancedAuthStep {
  /** The Authentication Method, one of the plugin's `authMethods`. */
  method: string;
  /** The Authentication Data of the CONNECT or AUTH packet, if any. */
  data: Uint8Array | undefined;
  /** `connect` while the CONNECT is being authenticated; `reauth` for a re-authentication (AUTH 0x19 and after). */
  phase: "connect" | "reauth";
  /** True for the first step of an exchange (the CONNECT, or the AUTH 0x19). */
  first: boolean;
  /** State the plugin keeps across the steps of one exchange (a fresh map per exchange). */
  conversation: Map<string, unknown>;
}

/**
 * The answer to an enhanced authentication step: send more data to the client
 * (AUTH 0x18), succeed (CONNACK 0x00 or AUTH 0x00, with final data; `username`
 * names who the client proved to be), or fail with a reason code of 0x80 or
 * more (CONNACK, or DISCONNECT during a re-authentication).
 */
export type EnhancedAuthAnswer =
  | { continue: Uint8Array }
  | { success: true; data?: Uint8Array; username?: string }
  | { fail: number; reasonString?: string };

/** What a plugin can do with the broker. */
export interface PluginContext {
  /** The plugin's options from the configuration, validated for built-ins. */
  readonly options: Readonly<Record<string, unknown>>;
  /** A logger named after the plugin. */
  readonly logger: Logger;
  /** Publish a message from the broker itself (for `$SYS` and similar). */
  publish(message: PluginMessage): void;
  /** Counters the broker keeps, for `$SYS`. */
  stats(): BrokerStats;
  /** Broker version string. */
  readonly version: string;
  /**
   * The running broker (aMQTT's `BrokerContext`): sessions, subscriptions,
   * retained messages, `addSubscription`, `retainMessage`, `disconnect`.
   */
  readonly broker: BrokerContext;
  /**
   * Longest wait for one hook call, in ms. A later answer counts as none (an
   * abstention), so a plugin asking a remote service must give up before this
   * to deny on time.
   */
  readonly hookTimeoutMs: number;
}

/** A broker plugin. Every member is optional. */
export interface BrokerPlugin {
  /** A name for logs. */
  readonly name: string;

  /** Called once before the listeners open (aMQTT `broker_pre_start`). */
  start?(context: PluginContext): void | Promise<void>;
  /** Called once after the listeners closed (aMQTT `broker_post_shutdown`). */
  stop?(): void | Promise<void>;

  /** 5.0 enhanced authentication: the Authentication Methods this plugin handles (e.g. `SCRAM-SHA-256`). */
  readonly authMethods?: readonly string[];
  /** One step of an enhanced authentication exchange for one of `authMethods`. */
  authenticateEnhanced?(
    client: ClientInfo,
    step: EnhancedAuthStep,
  ): EnhancedAuthAnswer | Promise<EnhancedAuthAnswer>;

  /** Authenticate a CONNECT (aMQTT `authenticate`). */
  authenticate?(client: ClientInfo): AuthAnswer | Promise<AuthAnswer>;
  /** May `client` publish to `topic`? (aMQTT topic filtering, action publish). */
  authorizePublish?(client: ClientInfo, message: PluginMessage): AuthzAnswer | Promise<AuthzAnswer>;
  /** May `client` subscribe to `filter`? (action subscribe). */
  authorizeSubscribe?(client: ClientInfo, filter: string, qos: QoS): AuthzAnswer | Promise<AuthzAnswer>;
  /** May `client` receive a message on `topic`? (action receive). Called on the delivery path: keep it fast. */
  authorizeReceive?(client: ClientInfo, message: PluginMessage): AuthzAnswer | Promise<AuthzAnswer>;
  /** Change a message before it is routed, or return `null` to drop it. */
  onPublish?(
    client: ClientInfo | undefined,
    message: PluginMessage,
  ): PluginMessage | null | Promise<PluginMessage | null>;

  /** aMQTT events, observed only. */
  onBrokerPreStart?(): void | Promise<void>;
  onBrokerPostStart?(): void | Promise<void>;
  onBrokerPreShutdown?(): void | Promise<void>;
  onBrokerPostShutdown?(): void | Promise<void>;
  onClientConnected?(client: ClientInfo): void | Promise<void>;
  onClientDisconnected?(client: ClientInfo): void | Promise<void>;
  onClientSubscribed?(client: ClientInfo, filter: string, qos: QoS): void | Promise<void>;
  onClientUnsubscribed?(client: ClientInfo, filter: string): void | Promise<void>;
  /** Every PUBLISH received, before validation and ACL (as aMQTT's `broker_message_received`). */
  onMessageReceived?(client: ClientInfo, message: PluginMessage): void | Promise<void>;
  /** A message accepted for routing (aMQTT `broker_message_broadcast`). */
  onMessageBroadcast?(client: ClientInfo | undefined, message: PluginMessage): void | Promise<void>;
  /** A retained message stored or cleared (empty payload); `client` undefined for broker messages. */
  onRetainedMessage?(client: ClientInfo | undefined, message: PluginMessage): void | Promise<void>;
  /** Packets in and out (aMQTT `mqtt_packet_received` / `mqtt_packet_sent`), for loggers. */
  onPacketReceived?(client: ClientInfo | undefined, packet: unknown): void;
  onPacketSent?(client: ClientInfo | undefined, packet: unknown): void;
}

/** Creates a plugin from its context; what a plugin module exports as default. */
export type PluginFactory = (context: PluginContext) => BrokerPlugin | Promise<BrokerPlugin>;
