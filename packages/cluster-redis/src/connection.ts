import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { ClusterUnavailableError } from "@amqtt/cluster";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { withTimeout } from "./deadlines.js";

/** Where the engine is: one Redis/Valkey (`url`) or the seed nodes of a Redis Cluster (`clusterNodes`). */
export interface RedisTarget {
  /** `redis://[user:password@]host:port[/db]`, `rediss://` for TLS. Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Seed nodes of a Redis Cluster (`redis://host:port` or `{ host, port }`); wins over `url`. */
  readonly clusterNodes?: readonly (string | { host: string; port: number })[];
  /** A file whose first line is the password (wins over one in the URL; keeps it out of configs and logs). */
  readonly passwordFile?: string;
  /** Extra TLS options for `rediss://` (CA, client certificate), as `node:tls` takes them. */
  readonly tls?: RedisOptions["tls"];
}

/** A URL that is not `redis://`, `rediss://`, `valkey://` or `valkeys://`, or a bad database number. */
export class RedisUrlError extends Error {
  override name = "RedisUrlError";
}

/** The client the bus talks through: one connection, or one per Cluster master. */
export type RedisClient = Redis | Cluster;

/** `redis://127.0.0.1:6379`, used when neither a URL nor cluster nodes are given. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** `url` with its user and password replaced by `***`, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_m, scheme: string) => `${scheme}***@`);
}

/** The target without credentials, for messages. */
export function describeTarget(target: RedisTarget): string {
  if (target.clusterNodes !== undefined && target.clusterNodes.length > 0)
    return `Redis Cluster ${target.clusterNodes
      .map((n) => (typeof n === "string" ? redactRedisUrl(n) : `${n.host}:${n.port}`))
      .join(",")}`;
  return redactRedisUrl(target.url ?? DEFAULT_REDIS_URL);
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new RedisUrlError(`not a URL: ${redactRedisUrl(text)}`, { cause: error });
  }
  if (!/^(redis|rediss|valkey|valkeys):$/.test(url.protocol))
    throw new RedisUrlError(`expected redis:// or rediss://, got ${redactRedisUrl(text)}`);
  return url;
}

const isTls = (url: URL) => url.protocol === "rediss:" || url.protocol === "valkeys:";

function optionsOf(target: RedisTarget, url: URL | undefined, commandTimeoutMs: number): RedisOptions {
  const options: RedisOptions = {
    lazyConnect: true,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 1_000),
    // A command cut by a broken connection fails rather than being replayed after
    // the reconnect: its outcome is unknown (the caller must not ack on it), and
    // a replay could reorder it behind later sends.
    maxRetriesPerRequest: 0,
    // While disconnected, calls fail at once instead of queueing without bound.
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    // Reconnect quickly, then every 500 ms: an engine outage ends without a restart.
    retryStrategy: (times) => Math.min(50 * times, 500),
  };
  if (url !== undefined) {
    if (url.username !== "") options.username = decodeURIComponent(url.username);
    if (url.password !== "") options.password = decodeURIComponent(url.password);
    // SNI carries host names only (RFC 6066); an IP address is checked against the certificate's IP SANs.
    if (isTls(url))
      options.tls = { ...(isIP(url.hostname) === 0 ? { servername: url.hostname } : {}), ...target.tls };
    const db = url.pathname.replace(/^\//, "");
    if (db !== "") {
      const n = Number(db);
      if (!Number.isInteger(n) || n < 0) throw new RedisUrlError(`not a database number: ${db}`);
      options.db = n;
    }
  }
  if (target.passwordFile !== undefined)
    options.password = readFileSync(target.passwordFile, "utf8").split(/\r?\n/)[0] ?? "";
  return options;
}

/**
 * An unconnected ioredis client for the target (a `Cluster` for cluster nodes).
 * `commandTimeoutMs` bounds every command; `0` turns the bound off (the blocking reader sets its own).
 * @throws RedisUrlError for a bad URL.
 */
export function createRedisClient(target: RedisTarget, commandTimeoutMs: number): RedisClient {
  const nodes = target.clusterNodes;
  if (nodes !== undefined && nodes.length > 0) {
    const urls = nodes.map((n) => (typeof n === "string" ? parseUrl(n) : undefined));
    const startup = nodes.map((n, i) => {
      if (typeof n !== "string") return { host: n.host, port: n.port };
      const u = urls[i] as URL;
      return { host: u.hostname, port: Number(u.port || 6379) };
    });
    const redisOptions = optionsOf(
      target,
      urls.find((u) => u !== undefined),
      commandTimeoutMs,
    );
    delete redisOptions.db; // a Redis Cluster has database 0 only
    return new Cluster(startup, {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      // Masters only: a replica may lag behind a write.
      scaleReads: "master",
      clusterRetryStrategy: (times) => Math.min(50 * times, 500),
      redisOptions,
    });
  }
  const url = parseUrl(target.url ?? DEFAULT_REDIS_URL);
  return new Redis({
    host: url.hostname,
    port: Number(url.port || 6379),
    ...optionsOf(target, url, commandTimeoutMs),
  });
}

/** Whether an ioredis error means the engine is unreachable or stalled (not a refused command). */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "ReplyError")
    return /^(CLUSTERDOWN|LOADING|TRYAGAIN|MASTERDOWN|BUSY)/.test(error.message);
  return true;
}

/** Any engine failure as the contract's {@link ClusterUnavailableError}, the cause kept (never a password: ioredis errors carry none). */
export function unavailable(operation: string, error: unknown): ClusterUnavailableError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ClusterUnavailableError(`${operation}: the Redis engine did not answer (${reason})`, {
    cause: error,
  });
}

/**
 * A connected client from `make()`: each attempt is bounded by `timeoutMs`, and
 * a client whose connect neither resolves nor fails in that time (seen with a
 * Redis Cluster under load) is dropped for a fresh one, up to `attempts` times.
 */
export async function connectedClient(
  make: () => RedisClient,
  timeoutMs: number,
  attempts = 3,
): Promise<RedisClient> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const client = make();
    // ioredis reports connection errors as events too; they surface through the calls.
    client.on("error", () => {});
    try {
      await withTimeout(client.connect(), timeoutMs, "connect");
      return client;
    } catch (error) {
      client.disconnect();
      last = error;
    }
  }
  throw last;
}
