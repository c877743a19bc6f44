import type { BrokerPlugin, ClientInfo, Logger, PluginContext } from "@amqtt/broker";
import { filterCovers, silentLogger, topicAccessPlugin } from "@amqtt/broker";
import { parseConnectionUrl, redactConnectionUrl } from "./connection.js";
import { type Database, openDatabase } from "./database.js";
import { PasswordHasher } from "./hashing.js";
import {
  type TopicAuthDbOptions,
  type TopicAuthDbOptionsInput,
  topicAuthDbOptions,
  type UserAuthDbOptions,
  type UserAuthDbOptionsInput,
  userAuthDbOptions,
} from "./options.js";
import type { AclAction } from "./schema.js";
import { TopicManager } from "./topic-manager.js";
import { UserManager } from "./user-manager.js";

/** Extra wiring for tests and embeddings. */
export interface AuthDbPluginSetup {
  /** Folder relative SQLite paths start at (the config file's folder; default the working directory). */
  baseDir?: string;
}

/** Opens the database once, at start (or at first use), and syncs the schema when configured. */
class DatabaseHandle {
  private opening: Promise<Database> | undefined;
  logger: Logger = silentLogger;

  constructor(
    private readonly options: TopicAuthDbOptions,
    private readonly baseDir: string,
  ) {}

  get(): Promise<Database> {
    this.opening ??= this.open();
    return this.opening;
  }

  private async open(): Promise<Database> {
    const db = await openDatabase(parseConnectionUrl(this.options.connection, this.baseDir), {
      size: this.options.pool_size,
      timeoutMs: this.options.timeout * 1000,
      maxPending: this.options.max_pending,
    });
    if (this.options.sync_schema) {
      try {
        await new TopicManager(db).sync();
      } catch (error) {
        // The broker still starts; clients are denied until the database answers.
        this.logger.error(
          `cannot create the auth tables in ${redactConnectionUrl(this.options.connection)}: ${(error as Error).message}`,
        );
      }
    }
    return db;
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    if (opening !== undefined) await (await opening).close();
  }
}

/**
 * aMQTT's `UserAuthDBPlugin`: a client is accepted when its user name is in
 * `user_auth` and its password matches the stored hash. No user name or no
 * password refuses (as aMQTT). An unreachable or slow database refuses and is logged.
 */
export function createUserAuthDbPlugin(
  input: UserAuthDbOptionsInput,
  setup: AuthDbPluginSetup = {},
): BrokerPlugin {
  const options: UserAuthDbOptions = userAuthDbOptions.parse(input);
  const handle = new DatabaseHandle(options, setup.baseDir ?? process.cwd());
  const hasher = new PasswordHasher(options.hash_schemes);
  let logger: Logger = silentLogger;
  return {
    name: "auth-db",
    async start(context: PluginContext) {
      logger = context.logger;
      handle.logger = logger;
      await handle.get();
    },
    stop: () => handle.close(),
    async authenticate(client: ClientInfo) {
      if (client.username === undefined || client.username === "" || client.password === undefined)
        return false;
      const password = Buffer.from(client.password).toString("utf8");
      if (password === "") return false;
      try {
        return await new UserManager(await handle.get(), hasher).verify(client.username, password);
      } catch (error) {
        logger.warn(
          `refusing ${client.clientId}: the auth database did not answer (${(error as Error).message})`,
        );
        return false;
      }
    },
  };
}

/**
 * aMQTT's `TopicAuthDBPlugin`: what a user may publish, subscribe to and
 * receive is the topic list of its `topic_auth` row (MQTT wildcards allowed).
 * A client without a user name is not judged (abstains). A user without a
 * row is denied (aMQTT raises there: QUIRK). A database failure denies and is logged.
 */
export function createTopicAuthDbPlugin(
  input: TopicAuthDbOptionsInput,
  setup: AuthDbPluginSetup = {},
): BrokerPlugin {
  const options = topicAuthDbOptions.parse(input);
  const handle = new DatabaseHandle(options, setup.baseDir ?? process.cwd());
  let logger: Logger = silentLogger;
  const allowed = async (
    client: ClientInfo,
    action: AclAction,
    topic: string,
  ): Promise<boolean | undefined> => {
    if (client.username === undefined || client.username === "" || topic === "") return undefined;
    try {
      const record = await new TopicManager(await handle.get()).get(client.username);
      return record?.[action].some((filter) => filterCovers(filter, topic)) ?? false;
    } catch (error) {
      logger.warn(`denying ${action} on ${topic} to ${client.clientId}: ${(error as Error).message}`);
      return false;
    }
  };
  return topicAccessPlugin("topic-auth-db", allowed, {
    async start(context: PluginContext) {
      logger = context.logger;
      handle.logger = logger;
      await handle.get();
    },
    stop: () => handle.close(),
  });
}
