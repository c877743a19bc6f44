import type { BrokerPlugin, PluginContext } from "@amqtt/broker";
import type { z } from "zod";
import { shadowOptions, shadowTopicAuthOptions } from "./options.js";
import { createShadowPlugin } from "./plugin.js";
import { createShadowTopicAuthPlugin } from "./topic-auth.js";

/** A plugin as the broker's plugin registry takes it (shaped like the broker's `PluginDefinition`). */
export interface ShadowPluginDefinition<S extends z.ZodType> {
  name: string;
  aliases: readonly string[];
  options: S;
  create(options: z.output<S>, context: PluginContext & { baseDir?: string }): BrokerPlugin;
}

/** `amqtt.contrib.shadows.ShadowPlugin`. */
export const shadowDefinition: ShadowPluginDefinition<typeof shadowOptions> = {
  name: "shadows",
  aliases: ["amqtt.contrib.shadows.ShadowPlugin", "amqtt.contrib.shadows.plugin.ShadowPlugin"],
  options: shadowOptions,
  create: (options, context) => createShadowPlugin(options, { baseDir: context.baseDir }),
};

/** `amqtt.contrib.shadows.ShadowTopicAuthPlugin`. */
export const shadowTopicAuthDefinition: ShadowPluginDefinition<typeof shadowTopicAuthOptions> = {
  name: "shadow-topic-auth",
  aliases: [
    "amqtt.contrib.shadows.ShadowTopicAuthPlugin",
    "amqtt.contrib.shadows.plugin.ShadowTopicAuthPlugin",
  ],
  options: shadowTopicAuthOptions,
  create: (options) => createShadowTopicAuthPlugin(options),
};

/** Both definitions, for the registry. */
export const shadowPluginDefinitions = [shadowDefinition, shadowTopicAuthDefinition] as const;
