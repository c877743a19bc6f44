import type { IncomingApplicationMessage } from "@amqtt/message";
import { defineClientPlugin, noOptions } from "./types.js";

/** A message in a log line: where, how, and how big; never its bytes. */
function summary(message: IncomingApplicationMessage): Record<string, unknown> {
  return { topic: message.topic, qos: message.qos, retain: message.retain, bytes: message.data.length };
}

/**
 * aMQTT's `EventLoggerPlugin` for the client: connections and disconnections at
 * info, every other event at debug.
 */
export const eventLoggerPlugin = defineClientPlugin({
  name: "event-logger",
  aliases: [
    "amqtt.plugins.logging_amqtt.EventLoggerPlugin",
    "amqtt.plugins.logging.EventLoggerPlugin",
    "event_logger_plugin",
  ],
  options: noOptions,
  create: (_options, { logger, clientId }) => ({
    name: "event-logger",
    onConnected: (e) => logger.info("connected", { clientId: clientId(), ...e }),
    onDisconnected: (e) =>
      logger.info("disconnected", {
        clientId: clientId(),
        willReconnect: e.willReconnect,
        error: e.error?.message,
      }),
    onReconnecting: (e) => logger.debug("reconnecting", { clientId: clientId(), ...e }),
    onMessage: (m) => logger.debug("message received", { clientId: clientId(), ...summary(m) }),
    onMessageDropped: (m) => logger.debug("message dropped", { clientId: clientId(), ...summary(m) }),
    onProtocolError: (error) =>
      logger.debug("protocol error", { clientId: clientId(), error: error.message }),
  }),
});
