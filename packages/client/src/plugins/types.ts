import type { Packet } from "@amqtt/codec";
import type { IncomingApplicationMessage } from "@amqtt/message";
import type { ClientEvents } from "../events.js";
import type { ClientLogger } from "./logger.js";

// The client's plugin contract, shaped like the broker's (name, aMQTT aliases,
// options, create) but with the client's hooks: aMQTT's `on_mqtt_packet_sent` /
// `on_mqtt_packet_received` and the client's events. Every hook only observes;
// nothing waits for it, so a throwing, rejecting or hanging hook is logged (or
// left behind) and never holds up or breaks the client.

/** What a client plugin gets when it is created. */
export interface ClientPluginContext {
  /** Its options from the configuration, validated by its definition. */
  readonly options: Readonly<Record<string, unknown>>;
  /** A logger named after the plugin. */
  readonly logger: ClientLogger;
  /** The client identifier in use (the broker's, once it assigned one). */
  clientId(): string;
}

/** A client plugin: every hook is optional. */
export interface ClientPlugin {
  /** A name for logs. */
  readonly name: string;
  /** A packet was handed to the connection (aMQTT `on_mqtt_packet_sent`). Called on the hot path: keep it fast. */
  onPacketSent?(packet: Packet): void;
  /** A packet arrived (aMQTT `on_mqtt_packet_received`). Decoded again for plugins only when one has this hook. */
  onPacketReceived?(packet: Packet): void;
  /** A CONNACK accepted the connection (first connect and every reconnect). */
  onConnected?(event: ClientEvents["connected"]): void | Promise<void>;
  /** The connection ended. */
  onDisconnected?(event: ClientEvents["disconnected"]): void | Promise<void>;
  /** A reconnect attempt is scheduled. */
  onReconnecting?(event: ClientEvents["reconnecting"]): void | Promise<void>;
  /** A message arrived. */
  onMessage?(message: IncomingApplicationMessage): void | Promise<void>;
  /** The bounded delivery queue discarded a message nobody read. */
  onMessageDropped?(message: IncomingApplicationMessage): void | Promise<void>;
  /** The broker broke a protocol rule. */
  onProtocolError?(error: Error): void | Promise<void>;
}

/** Builds a plugin; what a plugin module may export as default (or a {@link ClientPlugin} object). */
export type ClientPluginFactory = (context: ClientPluginContext) => ClientPlugin | Promise<ClientPlugin>;

/** One problem with a plugin's options: `path` is the key inside the options ("" for the whole). */
export interface ClientPluginOptionIssue {
  path: string;
  message: string;
}

/**
 * A plugin a package (or the application) provides, so that a configuration can
 * name it in `plugins` by our short name or by aMQTT's names.
 */
export interface ClientPluginDefinition<O = Record<string, unknown>> {
  /** Our short name (`packet-logger`). */
  readonly name: string;
  /** aMQTT's dotted class names and entry-point names (`amqtt.plugins.logging_amqtt.PacketLoggerPlugin`, `packet_logger_plugin`). */
  readonly aliases: readonly string[];
  /** Check the options as written: typed options, or the issues (each names its key). */
  readonly options: (raw: unknown) => { options: O } | { issues: ClientPluginOptionIssue[] };
  /** Build the plugin from its checked options. */
  create(options: O, context: ClientPluginContext): ClientPlugin | Promise<ClientPlugin>;
}

/** A definition with its option type erased, as the client's registry holds it. */
export type AnyClientPluginDefinition = ClientPluginDefinition<never>;

/** Type a definition where it is written and erase its option type for the registry. */
export function defineClientPlugin<O>(definition: ClientPluginDefinition<O>): AnyClientPluginDefinition {
  return definition as unknown as AnyClientPluginDefinition;
}

/** Options of a plugin that takes none: absent, null or an empty mapping. */
export function noOptions(
  raw: unknown,
): { options: Record<string, never> } | { issues: ClientPluginOptionIssue[] } {
  if (raw === undefined || raw === null) return { options: {} };
  if (typeof raw !== "object" || Array.isArray(raw))
    return { issues: [{ path: "", message: "options must be a mapping (or empty)" }] };
  const keys = Object.keys(raw);
  if (keys.length === 0) return { options: {} };
  return { issues: keys.map((key) => ({ path: key, message: "unknown option (this plugin takes none)" })) };
}
