import type { BrokerPlugin, PluginContext } from "@amqtt/broker";
import type { z } from "zod";
import { topicAuthDbOptions, userAuthDbOptions } from "./options.js";
import { createTopicAuthDbPlugin, createUserAuthDbPlugin } from "./plugins.js";

/**
 * A plugin as the broker's plugin registry takes it: our short name, aMQTT's
 * dotted class names, the options schema, and a factory. (Shaped like the
 * broker's `PluginDefinition`; typed here until that lands.)
 */
export interface AuthDbPluginDefinition<S extends z.ZodType> {
  name: string;
  aliases: readonly string[];
  options: S;
  create(options: z.output<S>, context: PluginContext & { baseDir?: string }): BrokerPlugin;
}

/** `amqtt.contrib.auth_db.UserAuthDBPlugin`. */
export const userAuthDbDefinition: AuthDbPluginDefinition<typeof userAuthDbOptions> = {
  name: "auth-db",
  aliases: ["amqtt.contrib.auth_db.UserAuthDBPlugin", "amqtt.contrib.auth_db.plugin.UserAuthDBPlugin"],
  options: userAuthDbOptions,
  create: (options, context) => createUserAuthDbPlugin(options, { baseDir: context.baseDir }),
};

/** `amqtt.contrib.auth_db.TopicAuthDBPlugin`. */
export const topicAuthDbDefinition: AuthDbPluginDefinition<typeof topicAuthDbOptions> = {
  name: "topic-auth-db",
  aliases: ["amqtt.contrib.auth_db.TopicAuthDBPlugin", "amqtt.contrib.auth_db.plugin.TopicAuthDBPlugin"],
  options: topicAuthDbOptions,
  create: (options, context) => createTopicAuthDbPlugin(options, { baseDir: context.baseDir }),
};

/** Both definitions, for the registry. */
export const authDbPluginDefinitions = [userAuthDbDefinition, topicAuthDbDefinition] as const;
