import { type AnyPluginDefinition, definePlugin, type PluginValidation } from "@amqtt/broker";
import type { z } from "zod";
import { topicAuthDbOptions, userAuthDbOptions } from "./options.js";
import { createTopicAuthDbPlugin, createUserAuthDbPlugin } from "./plugins.js";

/** Validated options and the config file's folder (relative SQLite paths start there). */
interface WithBaseDir<O> {
  options: O;
  baseDir: string;
}

/** Validate with `schema` and keep the folder relative paths start at. */
export function withBaseDir<S extends z.ZodType>(schema: S) {
  return (raw: unknown, context: { baseDir: string }): PluginValidation<WithBaseDir<z.output<S>>> => {
    const parsed = schema.safeParse(raw ?? {});
    if (parsed.success) return { options: { options: parsed.data, baseDir: context.baseDir } };
    return {
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
      })),
    };
  };
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
