import type { AnyPluginDefinition } from "@amqtt/broker";
import { jwtAclPlugin } from "./topic-plugin.js";
import { jwtAuthPlugin } from "./user-plugin.js";

/** Every plugin of this package, for `new Broker(config, { pluginDefinitions })`. */
export const pluginDefinitions: readonly AnyPluginDefinition[] = [jwtAuthPlugin, jwtAclPlugin];
