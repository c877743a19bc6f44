import type { BrokerPlugin, ClientInfo, Logger, PluginContext, PluginMessage } from "@amqtt/broker";
import { silentLogger } from "@amqtt/broker";
import { openDatabase, parseConnectionUrl } from "@amqtt/contrib-auth-db";
import {
  ANSWERS,
  acceptedMessage,
  deltaMessage,
  documentsMessage,
  iotaMessage,
  rejectedMessage,
  type ShadowVersion,
} from "./messages.js";
import { type ShadowOptionsInput, shadowOptions } from "./options.js";
import { MemoryShadowRepository, type ShadowRepository, SqlShadowRepository } from "./repository.js";
import { applyUpdate, emptyDocument, parseUpdate, ShadowRequestError } from "./states.js";

/** A request topic: `$shadow/<device>/<name>/get` or `/update` (nothing after: aMQTT's pattern is unanchored, a QUIRK). */
const REQUEST = /^\$shadow\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)\/(get|update)$/;

/** Extra wiring for tests and embeddings. */
export interface ShadowPluginSetup {
  /** Folder relative SQLite paths start at. */
  baseDir?: string;
  /** The clock, in seconds since the epoch (default: the system clock). */
  now?: () => number;
  /** A repository to use instead of the one `connection` names. */
  repository?: ShadowRepository;
}

/** The shadow plugin, with a look at its work queue for tests. */
export interface ShadowPlugin extends BrokerPlugin {
  /** Requests waiting or being handled. */
  readonly pendingRequests: number;
  /** Resolves once every request received so far is answered. */
  idle(): Promise<void>;
}

/**
 * aMQTT's `ShadowPlugin`: a device (or an application) publishes to
 * `$shadow/<device>/<name>/get` or `/update`; the plugin answers on
 * `get/accepted` or `get/rejected`, and for an update on `update/accepted`,
 * `update/delta`, `update/iota` and `update/documents` (or `update/rejected`
 * for a request that is not a shadow document: aMQTT answers nothing there, QUIRK).
 * Every update is a new version; requests for one shadow are handled in order.
 */
export function createShadowPlugin(
  input: ShadowOptionsInput = {},
  setup: ShadowPluginSetup = {},
): ShadowPlugin {
  const options = shadowOptions.parse(input);
  const now = setup.now ?? (() => Math.floor(Date.now() / 1000));
  let repository: ShadowRepository | undefined = setup.repository;
  let context: PluginContext | undefined;
  let logger: Logger = silentLogger;
  // One promise chain per shadow keeps its versions in order; the total is bounded.
  const chains = new Map<string, Promise<void>>();
  let pending = 0;

  const send = (device: string, name: string, answer: string, body: unknown) =>
    context?.publish({
      topic: `$shadow/${device}/${name}/${answer}`,
      payload: Buffer.from(JSON.stringify(body)),
      qos: 0,
      retain: false,
    });

  const handleGet = async (repo: ShadowRepository, device: string, name: string) => {
    const shadow = await repo.latest(device, name);
    if (shadow === undefined)
      send(device, name, ANSWERS.getRejected, rejectedMessage(404, "shadow not found"));
    else send(device, name, ANSWERS.getAccepted, acceptedMessage(shadow));
  };

  const handleUpdate = async (repo: ShadowRepository, device: string, name: string, payload: Uint8Array) => {
    const time = now();
    let update: ReturnType<typeof parseUpdate>;
    try {
      update = parseUpdate(payload, time);
    } catch (error) {
      if (!(error instanceof ShadowRequestError)) throw error;
      send(device, name, ANSWERS.updateRejected, rejectedMessage(400, error.message, time));
      return;
    }
    const previous = await repo.latest(device, name);
    const current: ShadowVersion = {
      document: applyUpdate(previous?.document ?? emptyDocument(), update),
      version: (previous?.version ?? 0) + 1,
      createdAt: time,
    };
    await repo.insert(device, name, current);
    // aMQTT's update/accepted carries a fixed timestamp 123 and version 1 (QUIRK); the real ones here.
    send(device, name, ANSWERS.updateAccepted, acceptedMessage(current));
    send(device, name, ANSWERS.updateDelta, deltaMessage(current));
    send(device, name, ANSWERS.updateIota, iotaMessage(current));
    send(device, name, ANSWERS.updateDocuments, documentsMessage(previous, current));
  };

  const handle = async (device: string, name: string, op: string, message: PluginMessage) => {
    try {
      const repo = await openRepository();
      if (op === "get") await handleGet(repo, device, name);
      else await handleUpdate(repo, device, name, message.payload);
    } catch (error) {
      logger.warn(`shadow ${device}/${name} ${op} failed: ${(error as Error).message}`);
      const answer = op === "get" ? ANSWERS.getRejected : ANSWERS.updateRejected;
      send(device, name, answer, rejectedMessage(500, "shadow storage failed", now()));
    }
  };

  const openRepository = async (): Promise<ShadowRepository> => {
    if (repository !== undefined) return repository;
    if (options.connection === undefined) repository = new MemoryShadowRepository(options.max_shadows);
    else {
      const db = await openDatabase(parseConnectionUrl(options.connection, setup.baseDir), {
        size: options.pool_size,
        timeoutMs: options.timeout * 1000,
      });
      const sql = new SqlShadowRepository(db);
      await sql.sync();
      repository = sql;
    }
    return repository;
  };

  return {
    name: "shadows",
    get pendingRequests() {
      return pending;
    },
    async idle() {
      while (chains.size > 0) await Promise.all(chains.values());
    },
    async start(ctx: PluginContext) {
      context = ctx;
      logger = ctx.logger;
      await openRepository();
    },
    async stop() {
      await this.idle();
      await repository?.close();
    },
    // aMQTT's hook (`broker_message_received`): every PUBLISH, also one the broker refuses for its "$" topic.
    onMessageReceived(_client: ClientInfo, message: PluginMessage) {
      if (!message.topic.startsWith("$shadow/")) return;
      const match = REQUEST.exec(message.topic);
      if (match === null) return;
      const [, device, name, op] = match as unknown as [string, string, string, string];
      if (pending >= options.max_pending) {
        logger.warn(`dropping a shadow ${op} for ${device}/${name}: ${pending} requests are waiting`);
        return;
      }
      pending++;
      const key = `${device}/${name}`;
      const next = (chains.get(key) ?? Promise.resolve())
        .then(() => handle(device, name, op, message))
        .finally(() => {
          pending--;
          if (chains.get(key) === next) chains.delete(key);
        });
      chains.set(key, next);
    },
  };
}
