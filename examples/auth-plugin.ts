// Example: a custom authentication and authorization plugin. Devices log in
// with a shared token as password and may only publish under their own topic.
import type { BrokerPlugin } from "amqtt";

/** Accept clients whose password is `token` and whose id starts with `device-`. */
export function deviceTokenPlugin(token: string): BrokerPlugin {
  const decoder = new TextDecoder();
  return {
    name: "device-token",
    authenticate(client) {
      if (!client.clientId.startsWith("device-"))
        return { refuse: 0x85, reason: "client id must start with device-" };
      const password = client.password === undefined ? "" : decoder.decode(client.password);
      return password === token ? true : { refuse: 0x86, reason: "bad token" };
    },
    authorizePublish(client, message) {
      return message.topic.startsWith(`devices/${client.clientId}/`);
    },
  };
}
