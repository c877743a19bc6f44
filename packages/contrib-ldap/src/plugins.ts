import type { AnyPluginDefinition } from "@amqtt/broker";
import { ldapAclPlugin } from "./topic-plugin.js";
import { ldapAuthPlugin } from "./user-plugin.js";

/** Every plugin of this package, for `new Broker(config, { pluginDefinitions })`. */
export const pluginDefinitions: readonly AnyPluginDefinition[] = [ldapAuthPlugin, ldapAclPlugin];
