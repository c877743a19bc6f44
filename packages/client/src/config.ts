import type { ProtocolVersion, PublishPacket, PubrelPacket, QoS } from "@amqtt/codec";
import type { Connection } from "@amqtt/transport";
import type { BackoffOptions } from "./backoff.js";
import { type Clock, systemClock } from "./clock.js";
import { ClientError } from "./errors.js";
import type { OverflowPolicy } from "./offline-queue.js";
import { type ClientLogger, defaultClientLogger } from "./plugins/logger.js";
import { type ClientPluginSpec, resolveClientPlugins } from "./plugins/resolve.js";
import type { AnyClientPluginDefinition } from "./plugins/types.js";

/** aMQTT's `will` section. */
export interface WillConfig {
  topic: string;
  /** Payload: text (UTF-8 encoded) or bytes. */
  message: string | Uint8Array;
  qos?: QoS;
  retain?: boolean;
}

/** aMQTT's `connection` section. `broker` is aMQTT's deprecated alias of the section. */
export interface ConnectionConfig {
  /** `mqtt://`, `mqtts://`, `ws://` or `wss://` URI, credentials allowed (default `mqtt://127.0.0.1:1883`). */
  uri?: string;
  /** File of trusted CA certificates in PEM (Node only). */
  cafile?: string;
  /** Folder of trusted CA certificates in PEM (Node only). */
  capath?: string;
  /** Trusted CA certificates as PEM text. */
  cadata?: string;
  /** Client certificate file in PEM, for mutual TLS (Node only). */
  certfile?: string;
  /** Private key file of `certfile` in PEM (Node only). */
  keyfile?: string;
}

/** Per-topic publish defaults (aMQTT's `topics` section). */
export interface TopicConfig {
  qos?: QoS;
  retain?: boolean;
}

/** Opens the byte stream for a URI; the default picks WebSocket or TCP/TLS by scheme. */
export type DialFunction = (uri: URL, tls: TlsSettings, signal: AbortSignal) => Promise<Connection>;

/** TLS material and checks for mqtts/wss (Node; browsers use their own trust store). */
export interface TlsSettings {
  cafile?: string;
  capath?: string;
  cadata?: string;
  certfile?: string;
  keyfile?: string;
  checkHostname: boolean;
  verifyCert: boolean;
  /** Extra HTTP headers for a WebSocket handshake (aMQTT's `additional_headers`; Node only). */
  headers?: Record<string, string>;
}

/**
 * aMQTT's `ClientConfig` keys as aMQTT spells them, each with a camelCase twin,
 * plus our additions (all bounded by default). Unknown keys are an error, as in
 * aMQTT's strict config.
 */
export interface ClientConfigInput {
  keep_alive?: number;
  keepAlive?: number;
  ping_delay?: number;
  pingDelay?: number;
  default_qos?: QoS;
  defaultQos?: QoS;
  default_retain?: boolean;
  defaultRetain?: boolean;
  auto_reconnect?: boolean;
  autoReconnect?: boolean;
  connection_timeout?: number;
  connectionTimeout?: number;
  reconnect_retries?: number;
  reconnectRetries?: number;
  reconnect_max_interval?: number;
  reconnectMaxInterval?: number;
  cleansession?: boolean;
  cleanSession?: boolean;
  topics?: Record<string, TopicConfig>;
  will?: WillConfig;
  connection?: ConnectionConfig;
  broker?: ConnectionConfig;
  check_hostname?: boolean;
  checkHostname?: boolean;
  verify_cert?: boolean;
  verifyCert?: boolean;
  /**
   * aMQTT's client plugins: a mapping of plugin name to options (or, as aMQTT's
   * legacy form, a list of names). Names are aMQTT's dotted class names and
   * entry-point names (`amqtt.plugins.logging_amqtt.PacketLoggerPlugin`,
   * `packet_logger_plugin`), ours (`packet-logger`, `event-logger`), those of
   * definitions given to the client, or plugin module paths (`./my-plugin.js`).
   * Default: none (aMQTT loads the packet logger, which writes only at DEBUG).
   */
  plugins?: Record<string, unknown> | (string | Record<string, unknown>)[] | null;
  // Ours.
  /** 4 (MQTT 3.1.1, default) or 5 (MQTT 5.0). */
  protocolVersion?: ProtocolVersion;
  /** 5.0 Session Expiry Interval in seconds (default: 0 with a clean session, else 0xFFFFFFFF). */
  sessionExpiryInterval?: number;
  /** First reconnect delay in ms (default 1000). */
  reconnectInitialDelayMs?: number;
  /** Random share of each reconnect delay, 0..1 (default 0.5). */
  reconnectJitter?: number;
  /** Publishes held while disconnected: at most this many (default 1000). */
  maxOfflineMessages?: number;
  /** ... and this many payload plus topic bytes (default 16 MiB). */
  maxOfflineBytes?: number;
  /** What a full offline queue does: `reject-new` (default) or `drop-oldest`. */
  offlineOverflow?: OverflowPolicy;
  /**
   * Bytes held for a connection that is not taking them (its send buffer is full),
   * default 8 MiB. A QoS 0 publish made while more is held is refused with
   * `PublishError("queue-full")`; QoS 1/2 are bounded by the in-flight window.
   */
  maxWriteBufferBytes?: number;
  /** Received messages waiting for `deliverMessage` (default 1000). */
  maxDeliveryQueue?: number;
  /** What a full delivery queue does: `drop-oldest` (default) or `drop-new`. */
  deliveryOverflow?: "drop-oldest" | "drop-new";
  /** How long a QoS 1/2 publish may wait for its acknowledgement, in seconds (default: no limit). */
  ack_timeout?: number;
  ackTimeout?: number;
  /** How long to wait for a PINGRESP, in ms (default: the keep alive, at most 30 s). */
  pingTimeoutMs?: number;
  /** 5.0: follow a Server Reference of a CONNACK/DISCONNECT (0x9C/0x9D) on the next reconnect (default false). */
  followServerReference?: boolean;
  /**
   * Hold the PUBACK/PUBREC of each received QoS 1/2 message until
   * `client.acknowledge(message)` (default false: acknowledged on arrival). For
   * an application that must store a message before the broker may forget it
   * (a bridge). Unacknowledged messages count against the Receive Maximum.
   */
  manualAcks?: boolean;
  /** Where the client and its plugins log (default: warnings and errors to the console). */
  logger?: ClientLogger;
  /** Clock and timers (tests inject a virtual one). */
  clock?: Clock;
  /** Random numbers for jitter and client ids (tests inject a fixed one). */
  random?: () => number;
  /** Replace the transport (tests, custom carriers). */
  dial?: DialFunction;
  /**
   * Called for every PUBLISH and every PUBREL the session hands to the
   * connection (first sends and resends; a QoS 0 PUBLISH has no packet
   * identifier). A returned promise holds that packet, and every packet after
   * it, until it resolves; a rejection closes the connection without writing
   * them (the session resends the QoS 1/2 ones on the next one; a held QoS 0
   * PUBLISH is lost, as QoS 0 allows). For an application that records its
   * in-flight packet identifiers durably before they leave, so that after its
   * own restart it resends with the original identifiers [MQTT-4.4.0-1], or
   * records that a QoS 0 message left so that it never sends it twice
   * [MQTT-4.3.1-1] (a bridge; see `restoreSession`).
   */
  beforeSend?: BeforeSend;
}

/** See {@link ClientConfigInput.beforeSend}. */
export type BeforeSend = (packet: PublishPacket | PubrelPacket) => PromiseLike<void> | undefined;

/** The configuration in force, every key resolved. */
export interface ClientConfig {
  keepAlive: number;
  pingDelay: number;
  defaultQos: QoS;
  defaultRetain: boolean;
  autoReconnect: boolean;
  connectionTimeout: number;
  reconnectRetries: number;
  reconnectMaxInterval: number;
  cleanSession: boolean;
  topics: Record<string, TopicConfig>;
  will: WillConfig | undefined;
  connection: ConnectionConfig;
  checkHostname: boolean;
  verifyCert: boolean;
  protocolVersion: ProtocolVersion;
  sessionExpiryInterval: number | undefined;
  backoff: BackoffOptions;
  maxOfflineMessages: number;
  maxOfflineBytes: number;
  offlineOverflow: OverflowPolicy;
  maxWriteBufferBytes: number;
  maxDeliveryQueue: number;
  deliveryOverflow: "drop-oldest" | "drop-new";
  ackTimeout: number | undefined;
  pingTimeoutMs: number | undefined;
  followServerReference: boolean;
  manualAcks: boolean;
  /** The configured plugins, resolved and their options checked. */
  plugins: ClientPluginSpec[];
  logger: ClientLogger;
  clock: Clock;
  random: () => number;
  dial: DialFunction | undefined;
  beforeSend: BeforeSend | undefined;
}

const twins: [snake: string, camel: string][] = [
  ["keep_alive", "keepAlive"],
  ["ping_delay", "pingDelay"],
  ["default_qos", "defaultQos"],
  ["default_retain", "defaultRetain"],
  ["auto_reconnect", "autoReconnect"],
  ["connection_timeout", "connectionTimeout"],
  ["reconnect_retries", "reconnectRetries"],
  ["reconnect_max_interval", "reconnectMaxInterval"],
  ["cleansession", "cleanSession"],
  ["check_hostname", "checkHostname"],
  ["verify_cert", "verifyCert"],
  ["ack_timeout", "ackTimeout"],
];
const singles = new Set([
  "topics",
  "will",
  "connection",
  "broker",
  "plugins",
  "protocolVersion",
  "sessionExpiryInterval",
  "reconnectInitialDelayMs",
  "reconnectJitter",
  "maxOfflineMessages",
  "maxOfflineBytes",
  "offlineOverflow",
  "maxWriteBufferBytes",
  "maxDeliveryQueue",
  "deliveryOverflow",
  "pingTimeoutMs",
  "followServerReference",
  "manualAcks",
  "logger",
  "clock",
  "random",
  "dial",
  "beforeSend",
]);

/**
 * Resolve a config (aMQTT keys or their camelCase twins) with aMQTT's defaults.
 * `pluginDefinitions` are plugins the `plugins` key may name besides the built-ins.
 * @throws ClientError for unknown keys, both twins given, or values out of range
 * (e.g. `verify_cert: false` with `check_hostname: true`, as aMQTT);
 * ClientConfigError (naming the key) for an unknown plugin or a bad plugin option.
 */
export function resolveConfig(
  input: ClientConfigInput = {},
  pluginDefinitions: readonly AnyClientPluginDefinition[] = [],
): ClientConfig {
  const raw = input as Record<string, unknown>;
  const known = new Set([...singles, ...twins.flat()]);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new ClientError(`unknown client config key "${key}"`);
  }
  const get = <T>(snake: string, camel: string, fallback: T): T => {
    if (raw[snake] !== undefined && raw[camel] !== undefined)
      throw new ClientError(`give "${snake}" or "${camel}", not both`);
    return (raw[snake] ?? raw[camel] ?? fallback) as T;
  };
  const keepAlive = get("keep_alive", "keepAlive", 10);
  const defaultQos = get<number>("default_qos", "defaultQos", 0);
  const checkHostname = get("check_hostname", "checkHostname", true);
  const verifyCert = get("verify_cert", "verifyCert", true);
  const protocolVersion = input.protocolVersion ?? 4;
  const jitter = input.reconnectJitter ?? 0.5;
  if (!Number.isInteger(keepAlive) || keepAlive < 0 || keepAlive > 65_535)
    throw new ClientError(`keep_alive must be 0..65535 seconds, got ${keepAlive}`);
  if (defaultQos !== 0 && defaultQos !== 1 && defaultQos !== 2)
    throw new ClientError(`default_qos must be 0, 1 or 2, got ${defaultQos}`);
  if (!verifyCert && checkHostname) throw new ClientError("verify_cert: false needs check_hostname: false");
  if (protocolVersion !== 4 && protocolVersion !== 5)
    throw new ClientError(`protocolVersion must be 4 (3.1.1) or 5 (5.0), got ${protocolVersion}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new ClientError(`reconnectJitter must be 0..1, got ${jitter}`);
  if (input.connection !== undefined && input.broker !== undefined)
    throw new ClientError('give "connection" or its deprecated alias "broker", not both');
  const random = input.random ?? Math.random;
  const positive = (name: string, value: number): number => {
    if (!Number.isInteger(value) || value < 1) throw new ClientError(`${name} must be a positive integer`);
    return value;
  };
  const ackTimeout = get<number | undefined>("ack_timeout", "ackTimeout", undefined);
  return {
    keepAlive,
    pingDelay: get("ping_delay", "pingDelay", 1),
    defaultQos: defaultQos as QoS,
    defaultRetain: get("default_retain", "defaultRetain", false),
    autoReconnect: get("auto_reconnect", "autoReconnect", true),
    connectionTimeout: get("connection_timeout", "connectionTimeout", 60),
    reconnectRetries: get("reconnect_retries", "reconnectRetries", 2),
    reconnectMaxInterval: get("reconnect_max_interval", "reconnectMaxInterval", 10),
    cleanSession: get("cleansession", "cleanSession", true),
    topics: input.topics ?? {},
    will: input.will,
    connection: { uri: "mqtt://127.0.0.1:1883", ...(input.connection ?? input.broker) },
    checkHostname,
    verifyCert,
    protocolVersion,
    sessionExpiryInterval: input.sessionExpiryInterval,
    backoff: {
      initialMs: input.reconnectInitialDelayMs ?? 1000,
      maxMs: get("reconnect_max_interval", "reconnectMaxInterval", 10) * 1000,
      jitter,
      random,
    },
    maxOfflineMessages: positive("maxOfflineMessages", input.maxOfflineMessages ?? 1000),
    maxOfflineBytes: positive("maxOfflineBytes", input.maxOfflineBytes ?? 16 * 1024 * 1024),
    offlineOverflow: input.offlineOverflow ?? "reject-new",
    maxWriteBufferBytes: positive("maxWriteBufferBytes", input.maxWriteBufferBytes ?? 8 * 1024 * 1024),
    maxDeliveryQueue: positive("maxDeliveryQueue", input.maxDeliveryQueue ?? 1000),
    deliveryOverflow: input.deliveryOverflow ?? "drop-oldest",
    ackTimeout,
    pingTimeoutMs: input.pingTimeoutMs,
    followServerReference: input.followServerReference ?? false,
    manualAcks: input.manualAcks ?? false,
    plugins: resolveClientPlugins(input.plugins, pluginDefinitions),
    logger: input.logger ?? defaultClientLogger(),
    clock: input.clock ?? systemClock,
    random,
    dial: input.dial,
    beforeSend: input.beforeSend,
  };
}
