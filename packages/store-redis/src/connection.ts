import { readFile } from "node:fs/promises";
import { redactUrl } from "@amqtt/store";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { RedisUrlError } from "./errors.js";

/** A Redis Cluster node: `redis://host:port` (rediss:// for TLS) or `{ host, port }`. */
export type ClusterNodeAddress = string | { host: string; port: number };

/** Where the store's Redis is, and how to log in. @internal */
export interface ConnectionSettings {
  url?: string | undefined;
  clusterNodes?: readonly ClusterNodeAddress[] | undefined;
  passwordFile?: string | undefined;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/** The client the store talks through: one connection, or one per cluster master. @internal */
export type RedisClient = Redis | Cluster;

/** `redis://127.0.0.1:6379` when neither a URL nor cluster nodes are given. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** Host, port (and database) of the settings, without credentials, for messages. @internal */
export function targetOf(settings: Pick<ConnectionSettings, "url" | "clusterNodes">): string {
  if (settings.clusterNodes !== undefined && settings.clusterNodes.length > 0) {
    const nodes = settings.clusterNodes.map((n) =>
      typeof n === "string" ? redactUrl(n, "<node URL>", true) : `${n.host}:${n.port}`,
    );
    return `cluster ${nodes.join(",")}`;
  }
  return redactUrl(settings.url ?? DEFAULT_REDIS_URL, "<Redis URL>", true);
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new RedisUrlError(`not a URL: ${redactUrl(text, "<Redis URL>", true)}`, { cause: error });
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new RedisUrlError(`expected redis:// or rediss://, got ${redactUrl(text, "<Redis URL>", true)}`);
  return url;
}

/** Connection options shared by a single server and every cluster node. */
function baseOptions(
  settings: ConnectionSettings,
  url: URL | undefined,
  password: string | undefined,
): RedisOptions {
  const options: RedisOptions = {
    lazyConnect: true,
    protocol: 2,
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    // A command cut by a broken connection fails instead of being sent again
    // after the reconnect: its outcome is unknown, so the broker must not ack it,
    // and a replay could reorder it behind later writes.
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
  };
  if (url !== undefined) {
    if (url.username !== "") options.username = decodeURIComponent(url.username);
    if (url.password !== "") options.password = decodeURIComponent(url.password);
    if (url.protocol === "rediss:") options.tls = { servername: url.hostname };
    const db = url.pathname.replace(/^\//, "");
    if (db !== "") {
      const n = Number(db);
      if (!Number.isInteger(n) || n < 0) throw new RedisUrlError(`not a database number: ${db}`);
      options.db = n;
    }
  }
  if (password !== undefined) options.password = password;
  return options;
}

/**
 * Make the (unconnected) ioredis client of the settings, the password read
 * from `passwordFile` (its first line) when given, which wins over one in the URL.
 * @throws RedisUrlError for a URL that is not redis:// or rediss://.
 * @internal
 */
export async function createClient(settings: ConnectionSettings): Promise<RedisClient> {
  const password =
    settings.passwordFile === undefined
      ? undefined
      : ((await readFile(settings.passwordFile, "utf8")).split(/\r?\n/)[0] ?? "");
  const nodes = settings.clusterNodes;
  if (nodes !== undefined && nodes.length > 0) {
    const urls = nodes.map((n) => (typeof n === "string" ? parseUrl(n) : undefined));
    const first = urls.find((u) => u !== undefined);
    const startup = nodes.map((n, i) => {
      if (typeof n !== "string") return { host: n.host, port: n.port };
      const u = urls[i] as URL;
      return { host: u.hostname, port: Number(u.port || 6379) };
    });
    const redisOptions = baseOptions(settings, first, password);
    delete redisOptions.db; // a cluster has database 0 only
    return new Cluster(startup, {
      lazyConnect: true,
      enableAutoPipelining: true,
      // Writes and reads go to the masters: a replica may lag behind a write.
      scaleReads: "master",
      redisOptions,
    });
  }
  const url = parseUrl(settings.url ?? DEFAULT_REDIS_URL);
  return new Redis({
    host: url.hostname,
    port: Number(url.port || 6379),
    ...baseOptions(settings, url, password),
  });
}
