import type { BrokerPlugin, ClientInfo, PluginContext } from "./types.js";

/** True when the client sent no user name, or an empty one (aMQTT tests `session.username` for truth). */
export function hasNoUserName(client: ClientInfo): boolean {
  return client.username === undefined || client.username === "";
}

/**
 * aMQTT's `AnonymousAuthPlugin` (option `allow_anonymous`, default true).
 *
 * - `allow_anonymous: true` accepts every client. Only clients without a user
 *   name are marked `anonymous` (aMQTT marks every client, a QUIRK that makes
 *   every session non-persistent under its default configuration).
 * - `allow_anonymous: false` refuses clients without a user name and **accepts
 *   every client that sent one, whatever its password**. That is aMQTT's
 *   documented ("danger") behaviour, kept for compatibility: pair it with
 *   `file-auth` (which refuses unknown users and bad passwords), or leave this
 *   plugin out, to check passwords.
 */
export function createAnonymousAuthPlugin(context: PluginContext): BrokerPlugin {
  const allowAnonymous = context.options.allow_anonymous !== false;
  return {
    name: "anonymous-auth",
    authenticate(client) {
      const anonymous = hasNoUserName(client);
      if (allowAnonymous) {
        if (anonymous) client.anonymous = true;
        return true;
      }
      return !anonymous;
    },
  };
}
