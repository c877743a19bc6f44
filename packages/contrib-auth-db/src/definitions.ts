import {
  type AnyPluginDefinition,
  definePlugin,
  optionsValidator,
  type PluginOptionsSchema,
  type PluginValidation,
  type PluginValidationContext,
} from "@amqtt/broker";
import type { z } from "zod";
import { topicAuthDbOptions, userAuthDbOptions } from "./options.js";
import { createTopicAuthDbPlugin, createUserAuthDbPlugin } from "./plugins.js";

/** Validated options and the config file's folder (relative SQLite paths start there). */
interface WithBaseDir<O> {
  options: O;
  baseDir: string;
}

/** Validate with `schema` (missing options are `{}`) and keep the folder relative paths start at. */
export function withBaseDir<S extends z.ZodType>(
  schema: S,
): (raw: unknown, context: PluginValidationContext) => PluginValidation<WithBaseDir<z.output<S>>> {
  const validate = optionsValidator(schema as PluginOptionsSchema<z.output<S>>, (options, { baseDir }) => ({
    options,
    baseDir,
  }));
  return (raw, context) => validate(raw ?? {}, context);
}

/** `amqtt.contrib.auth_db.UserAuthDBPlugin`, for the broker's plugin registry. */
export const userAuthDbDefinition: AnyPluginDefinition = definePlugin({
  name: "auth-db",
  aliases: ["amqtt.contrib.auth_db.UserAuthDBPlugin", "amqtt.contrib.auth_db.plugin.UserAuthDBPlugin"],
  options: withBaseDir(userAuthDbOptions),
  authenticates: true,
  create: ({ options, baseDir }) => createUserAuthDbPlugin(options, { baseDir }),
});

/** `amqtt.contrib.auth_db.TopicAuthDBPlugin`, for the broker's plugin registry. */
export const topicAuthDbDefinition: AnyPluginDefinition = definePlugin({
  name: "topic-auth-db",
  aliases: ["amqtt.contrib.auth_db.TopicAuthDBPlugin", "amqtt.contrib.auth_db.plugin.TopicAuthDBPlugin"],
  options: withBaseDir(topicAuthDbOptions),
  create: ({ options, baseDir }) => createTopicAuthDbPlugin(options, { baseDir }),
});

/** Both definitions: pass them to the broker (`pluginDefinitions`) and the config resolver. */
export const pluginDefinitions: readonly AnyPluginDefinition[] = [
  userAuthDbDefinition,
  topicAuthDbDefinition,
];
