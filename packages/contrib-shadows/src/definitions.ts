import { type AnyPluginDefinition, definePlugin } from "@amqtt/broker";
import { withBaseDir } from "@amqtt/contrib-auth-db";
import { shadowOptions, shadowTopicAuthOptions } from "./options.js";
import { createShadowPlugin } from "./plugin.js";
import { createShadowTopicAuthPlugin } from "./topic-auth.js";

/** `amqtt.contrib.shadows.ShadowPlugin`, for the broker's plugin registry. */
export const shadowDefinition: AnyPluginDefinition = definePlugin({
  name: "shadows",
  aliases: ["amqtt.contrib.shadows.ShadowPlugin", "amqtt.contrib.shadows.plugin.ShadowPlugin"],
  options: withBaseDir(shadowOptions),
  create: ({ options, baseDir }) => createShadowPlugin(options, { baseDir }),
});

/** `amqtt.contrib.shadows.ShadowTopicAuthPlugin`, for the broker's plugin registry. */
export const shadowTopicAuthDefinition: AnyPluginDefinition = definePlugin({
  name: "shadow-topic-auth",
  aliases: [
    "amqtt.contrib.shadows.ShadowTopicAuthPlugin",
    "amqtt.contrib.shadows.plugin.ShadowTopicAuthPlugin",
  ],
  options: shadowTopicAuthOptions,
  create: (options) => createShadowTopicAuthPlugin(options),
});

/** Both definitions: pass them to the broker (`pluginDefinitions`) and the config resolver. */
export const pluginDefinitions: readonly AnyPluginDefinition[] = [
  shadowDefinition,
  shadowTopicAuthDefinition,
];
