import { type Packet, PacketType } from "@amqtt/codec";
import { defineClientPlugin, noOptions } from "./types.js";

const typeNames = new Map<number, string>(Object.entries(PacketType).map(([name, value]) => [value, name]));

/** Fields whose value is a secret: never logged, whatever the logger. */
const secrets = new Set(["password", "authenticationData"]);

/**
 * A packet as the log shows it: its type by name, secrets as `<redacted>`, and
 * every byte field (payloads, will payload, correlation data) as its length only.
 */
export function packetForLog(packet: Packet): Record<string, unknown> {
  return { ...(scrub(packet) as Record<string, unknown>), type: typeNames.get(packet.type) ?? packet.type };
}

function scrub(value: unknown): unknown {
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map(scrub);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = secrets.has(key) && field !== undefined ? "<redacted>" : scrub(field);
  }
  return out;
}

/**
 * aMQTT's `PacketLoggerPlugin` for the client: every packet out and in at debug
 * (`-out->` / `<-in--` as aMQTT writes them), without payload bytes or secrets.
 */
export const packetLoggerPlugin = defineClientPlugin({
  name: "packet-logger",
  aliases: [
    "amqtt.plugins.logging_amqtt.PacketLoggerPlugin",
    "amqtt.plugins.logging.PacketLoggerPlugin",
    "packet_logger_plugin",
  ],
  options: noOptions,
  create: (_options, context) => ({
    name: "packet-logger",
    onPacketSent: (packet) =>
      context.logger.debug(`${context.clientId()} -out-> ${typeNames.get(packet.type)}`, {
        packet: packetForLog(packet),
      }),
    onPacketReceived: (packet) =>
      context.logger.debug(`${context.clientId()} <-in-- ${typeNames.get(packet.type)}`, {
        packet: packetForLog(packet),
      }),
  }),
});
