import type { BrokerPlugin, ClientInfo, PluginContext, PluginMessage } from "./types.js";

function who(client: ClientInfo | undefined): Record<string, unknown> {
  return client === undefined
    ? { clientId: undefined }
    : { clientId: client.clientId, username: client.username, listener: client.listener };
}

function what(message: PluginMessage): Record<string, unknown> {
  return { topic: message.topic, qos: message.qos, retain: message.retain, bytes: message.payload.length };
}

/**
 * aMQTT's `EventLoggerPlugin`: logs every broker event, at info for client
 * connections and disconnections and at debug for the rest.
 */
export function createEventLoggerPlugin(context: PluginContext): BrokerPlugin {
  const log = context.logger;
  return {
    name: "event-logger",
    onBrokerPreStart: () => log.debug("broker starting"),
    onBrokerPostStart: () => log.debug("broker started"),
    onBrokerPreShutdown: () => log.debug("broker stopping"),
    onBrokerPostShutdown: () => log.debug("broker stopped"),
    onClientConnected: (client) => log.info("client connected", who(client)),
    onClientDisconnected: (client) => log.info("client disconnected", who(client)),
    onClientSubscribed: (client, filter, qos) =>
      log.debug("client subscribed", { ...who(client), filter, qos }),
    onClientUnsubscribed: (client, filter) => log.debug("client unsubscribed", { ...who(client), filter }),
    onMessageReceived: (client, message) =>
      log.debug("message received", { ...who(client), ...what(message) }),
    onMessageBroadcast: (client, message) =>
      log.debug("message broadcast", { ...who(client), ...what(message) }),
    onRetainedMessage: (client, message) =>
      log.debug("retained message", { ...who(client), ...what(message) }),
  };
}
