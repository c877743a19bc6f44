import type { BrokerPlugin, PluginContext } from "./types.js";

/** A CONNECT's password never reaches the log, whatever logger is plugged in. */
function redacted(packet: unknown): unknown {
  if (packet === null || typeof packet !== "object" || !("password" in packet)) return packet;
  return { ...packet, password: packet.password === undefined ? undefined : "<redacted>" };
}

/** aMQTT's `PacketLoggerPlugin`: every packet in and out, at debug (passwords redacted). */
export function createPacketLoggerPlugin(context: PluginContext): BrokerPlugin {
  const log = context.logger;
  return {
    name: "packet-logger",
    onPacketReceived: (client, packet) =>
      log.debug("packet in", { clientId: client?.clientId, packet: redacted(packet) }),
    onPacketSent: (client, packet) =>
      log.debug("packet out", { clientId: client?.clientId, packet: redacted(packet) }),
  };
}
