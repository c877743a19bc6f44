import { createHash } from "node:crypto";
import {
  type AnyPluginDefinition,
  type BrokerPlugin,
  type ClientInfo,
  definePlugin,
  type Logger,
  type PluginContext,
  topicAccessHooks,
} from "@amqtt/broker";
import { AnswerCache } from "./cache.js";
import { type HttpPluginOptions, httpOptionsSchema } from "./options.js";
import { type HttpAnswer, HttpCheckError, HttpChecker, type RequestFields } from "./request.js";

/** aMQTT's `acc` values of the topic check. */
export const ACC = { receive: 1, publish: 2, subscribe: 4 } as const;

/** Which checks a plugin makes. */
type Role = "auth" | "acl" | "both";

/** One service, one pool, one cache: the checks of an HTTP plugin. */
class HttpChecks {
  readonly #checker: HttpChecker;
  readonly #cache: AnswerCache<HttpAnswer>;

  constructor(
    readonly options: HttpPluginOptions,
    private readonly logger: Logger,
    hookTimeoutMs: number,
  ) {
    // The broker counts a hook answering after hookTimeoutMs as abstaining (which
    // would let a topic through), so the request gives up a little before that and denies.
    const deadlineMs = Math.max(1, Math.min(options.timeout * 1000, hookTimeoutMs * 0.9));
    if (deadlineMs < options.timeout * 1000)
      logger.warn(
        `timeout ${options.timeout} s is not below the broker's plugin timeout; requests give up after ${Math.round(deadlineMs)} ms`,
      );
    this.#checker = new HttpChecker(options, deadlineMs);
    this.#cache = new AnswerCache(options.cache_ttl * 1000, options.cache_max_entries);
  }

  /** Ask the service; an error (timeout, unreachable, bad response) denies and is logged without secrets. */
  async ask(uri: string, fields: RequestFields, what: string): Promise<HttpAnswer> {
    // The key is a digest, so the cache never holds a password.
    const key = createHash("sha256").update(uri).update("\0").update(JSON.stringify(fields)).digest("base64");
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    try {
      const answer = await this.#checker.check(uri, fields);
      if (answer !== undefined) this.#cache.set(key, answer);
      return answer;
    } catch (error) {
      const kind = error instanceof HttpCheckError ? error.kind : "unreachable";
      this.logger.warn(`HTTP ${what} check failed (${kind}); denying`, {
        url: `${this.options.with_tls ? "https" : "http"}://${this.options.host}:${this.options.port}${uri}`,
        clientId: fields.client_id,
        error: (error as Error).message,
      });
      return false;
    }
  }

  close(): void {
    this.#checker.close();
    this.#cache.clear();
  }
}

function text(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? "" : Buffer.from(bytes).toString("utf8");
}

/** Build an HTTP plugin making the checks of `role`. */
export function createHttpPlugin(
  role: Role,
  name: string,
  options: HttpPluginOptions,
  context: PluginContext,
): BrokerPlugin {
  const checks = new HttpChecks(options, context.logger, context.hookTimeoutMs);
  const plugin: BrokerPlugin = { name, stop: () => checks.close() };
  if (role !== "acl")
    Object.assign(plugin, {
      authenticate: (client: ClientInfo) =>
        checks.ask(
          options.user_uri,
          { username: client.username ?? "", password: text(client.password), client_id: client.clientId },
          "user",
        ),
    });
  if (role !== "auth")
    Object.assign(
      plugin,
      topicAccessHooks((client, action, topic) =>
        checks.ask(
          options.topic_uri,
          { username: client.username ?? "", client_id: client.clientId, topic, acc: ACC[action] },
          "topic",
        ),
      ),
    );
  return plugin;
}

/** aMQTT's `amqtt.contrib.http.UserAuthHttpPlugin`: the service at `user_uri` authenticates each CONNECT. */
export const httpAuthPlugin: AnyPluginDefinition = definePlugin<HttpPluginOptions>({
  name: "http-auth",
  aliases: ["amqtt.contrib.http.UserAuthHttpPlugin"],
  authenticates: true,
  options: httpOptionsSchema,
  create: (options, context) => createHttpPlugin("auth", "http-auth", options, context),
});

/** aMQTT's `amqtt.contrib.http.TopicAuthHttpPlugin`: the service at `topic_uri` decides each publish, subscribe and delivery. */
export const httpAclPlugin: AnyPluginDefinition = definePlugin<HttpPluginOptions>({
  name: "http-acl",
  aliases: ["amqtt.contrib.http.TopicAuthHttpPlugin"],
  options: httpOptionsSchema,
  create: (options, context) => createHttpPlugin("acl", "http-acl", options, context),
});

/** aMQTT's combined plugin, under each name its releases and docs used (one plugin doing both). */
export const httpAuthAclPlugin: AnyPluginDefinition = definePlugin<HttpPluginOptions>({
  name: "http-auth-acl",
  aliases: [
    "amqtt.contrib.http.HttpAuthTopicPlugin",
    "amqtt.contrib.http.HttpAuthPlugin",
    "amqtt.contrib.http.HttpAuthACLPlugin",
  ],
  authenticates: true,
  options: httpOptionsSchema,
  create: (options, context) => createHttpPlugin("both", "http-auth-acl", options, context),
});

/** Every plugin of this package, for `new Broker(config, { pluginDefinitions })`. */
export const pluginDefinitions: readonly AnyPluginDefinition[] = [
  httpAuthPlugin,
  httpAclPlugin,
  httpAuthAclPlugin,
];
