import { isAbsolute, join, resolve as resolvePath } from "node:path";
import type { z } from "zod";
import type { ConfigIssue } from "./errors.js";
import { lazySchema } from "./zod.js";

/** The `persistence` section as written (built on first use). */
export const persistenceSchema = lazySchema((z) =>
  z.strictObject({
    /**
     * `sqlite` (what the `amqtt` command uses by default), `memory` (nothing
     * survives a restart), or a database server: `postgresql`, `mysql` (MySQL and
     * MariaDB), which need `url`, or `redis` (Redis 7 / Valkey, one server or a
     * Redis Cluster), which needs `redis` or `cluster_nodes`. Left out with a
     * `url`, the URL's scheme decides; with `redis` or `cluster_nodes`, it is `redis`.
     */
    store: z.enum(["memory", "sqlite", "postgresql", "mysql", "redis"]).optional(),
    /** The server of `postgresql` / `mysql`: `postgresql://user@host:5432/db`, `mysql://...`, `mariadb://...` (aMQTT's `+asyncpg`/`+aiomysql` too). */
    url: z.string().min(1).optional(),
    /** The Redis server of `store: redis`: `redis://[user:password@]host:6379/0`, `rediss://` for TLS. */
    redis: z.string().min(1).optional(),
    /** Redis Cluster mode instead of `redis`: some of the cluster's nodes, `redis://host:port` each. */
    cluster_nodes: z.array(z.string().min(1)).min(1).optional(),
    /** Put before every Redis key, so several brokers share one Redis (default `amqtt:`); no braces. */
    key_prefix: z.string().min(1).optional(),
    /** A file whose first line is the database or Redis password (wins over one in the URL, which then need not hold it). */
    password_file: z.string().min(1).optional(),
    /** Folder of the SQLite file (`amqtt.db` inside); created when missing. */
    data_dir: z.string().min(1).optional(),
    /** The SQLite file itself; wins over `data_dir`. */
    file: z.string().min(1).optional(),
    /**
     * `full` (default): PUBACK/PUBREC only once the message is on disk.
     * `relaxed`: the disk syncs less often; a power loss (not a process crash) may lose the last writes.
     */
    durability: z.enum(["full", "relaxed"]).optional(),
    /** aMQTT's SessionDBPlugin option: erase stored state at a graceful shutdown. */
    clear_on_shutdown: z.boolean().optional(),
  }),
);

/** The `persistence` section after validation. */
export type RawPersistence = z.output<ReturnType<typeof persistenceSchema>>;

/** The stores a configuration can name. */
export type PersistenceStore = "memory" | "sqlite" | "postgresql" | "mysql" | "redis";

/** Where the Redis of `store: redis` is (the URLs may hold a password: never log them as they are). */
export interface ResolvedRedis {
  /** One server, when not a cluster. */
  url?: string;
  /** Redis Cluster nodes, when a cluster. */
  clusterNodes?: string[];
  /** The key prefix, when configured. */
  keyPrefix?: string;
}

/** Where the broker keeps sessions, queues and retained messages. */
export interface ResolvedPersistence {
  /** `undefined` when the configuration does not say: the embedding (or the `amqtt` command) chooses. */
  store: PersistenceStore | undefined;
  /** Absolute path of the SQLite file, when `store` is `sqlite` and a place was given. */
  file: string | undefined;
  /** The server URL, when `store` is `postgresql` or `mysql` (it may hold a password: never log it as is). */
  url?: string | undefined;
  /** Absolute path of the password file of the server, when given. */
  passwordFile?: string | undefined;
  /** The Redis settings, when `store` is `redis`. */
  redis?: ResolvedRedis | undefined;
  durability: "full" | "relaxed";
  clearOnShutdown: boolean;
}

/** The file name inside a data directory. */
export const DATA_FILE_NAME = "amqtt.db";

/** aMQTT's session persistence plugin names, whose options map onto `persistence`. */
export const SESSION_DB_PLUGINS = new Set([
  "amqtt.contrib.persistence.SessionDBPlugin",
  "amqtt.plugins.persistence.SQLitePlugin",
]);

/**
 * The server store a database URL names, from its scheme with or without
 * SQLAlchemy's `+driver` part: `postgresql`/`postgres` and `mysql`/`mariadb`.
 */
export function serverStoreOf(url: string): "postgresql" | "mysql" | undefined {
  const scheme = /^([a-z][a-z0-9]*)(\+\w+)?:\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "postgresql" || scheme === "postgres") return "postgresql";
  return scheme === "mysql" || scheme === "mariadb" ? "mysql" : undefined;
}

const SERVER_HINT = "postgresql://, postgresql+asyncpg://, mysql://, mysql+aiomysql:// or mariadb://";

/** Check and complete a server store's settings (`persistence.url` and friends). */
function resolveServer(out: ResolvedPersistence, path: string, issues: ConfigIssue[]): void {
  if (out.url === undefined) {
    if (out.store === "postgresql" || out.store === "mysql")
      issues.push({
        path: `${path}.url`,
        message: `store: ${out.store} needs the server's url (${SERVER_HINT})`,
      });
    else if (out.passwordFile !== undefined)
      issues.push({ path: `${path}.password_file`, message: "password_file needs a server url" });
    return;
  }
  const named = serverStoreOf(out.url);
  if (named === undefined) {
    issues.push({ path: `${path}.url`, message: `not a database server URL: use ${SERVER_HINT}` });
    return;
  }
  if (out.store !== undefined && out.store !== named) {
    issues.push({ path: `${path}.url`, message: `a ${named} URL does not fit store: ${out.store}` });
    return;
  }
  out.store = named;
  if (out.file !== undefined)
    issues.push({
      path,
      message: `file and data_dir are SQLite's: store ${named} keeps its data on the server`,
    });
  // The server's own settings (synchronous_commit, innodb_flush_log_at_trx_commit) decide its disk syncs.
  if (out.durability === "relaxed")
    issues.push({
      path: `${path}.durability`,
      message: "relaxed is SQLite's: a server's own settings decide",
    });
}

const REDIS_URL = /^rediss?:\/\//i;

/**
 * Check and complete `store: redis` (`persistence.redis`, `cluster_nodes`,
 * `key_prefix`); answers whether the Redis store is chosen.
 */
function resolveRedis(
  written: RawPersistence | null | undefined,
  out: ResolvedPersistence,
  issues: ConfigIssue[],
): boolean {
  const given =
    written?.redis !== undefined || written?.cluster_nodes !== undefined || written?.key_prefix !== undefined;
  if (out.store !== "redis" && !given) return false;
  if (out.store !== undefined && out.store !== "redis") {
    issues.push({
      path: "persistence",
      message: `redis, cluster_nodes and key_prefix need store: redis, not ${out.store}`,
    });
    return true;
  }
  out.store = "redis";
  const redis: ResolvedRedis = {};
  if (written?.redis !== undefined && written.cluster_nodes !== undefined)
    issues.push({
      path: "persistence.cluster_nodes",
      message: "give redis (one server) or cluster_nodes, not both",
    });
  else if (written?.redis === undefined && written?.cluster_nodes === undefined)
    issues.push({
      path: "persistence.redis",
      message: "store: redis needs redis (redis://host:6379/0) or cluster_nodes",
    });
  if (written?.redis !== undefined) {
    if (!REDIS_URL.test(written.redis))
      issues.push({ path: "persistence.redis", message: "not a Redis URL: use redis:// or rediss://" });
    redis.url = written.redis;
  }
  if (written?.cluster_nodes !== undefined) {
    written.cluster_nodes.forEach((node, i) => {
      if (!REDIS_URL.test(node))
        issues.push({
          path: `persistence.cluster_nodes.${i}`,
          message: "not a Redis URL: use redis:// or rediss://",
        });
    });
    redis.clusterNodes = [...written.cluster_nodes];
  }
  if (written?.key_prefix !== undefined) {
    // A brace would become the Redis Cluster hash tag of every key.
    if (/[{}]/.test(written.key_prefix))
      issues.push({ path: "persistence.key_prefix", message: "must not contain { or }" });
    redis.keyPrefix = written.key_prefix;
  }
  out.redis = redis;
  if (out.file !== undefined)
    issues.push({
      path: "persistence",
      message: "file and data_dir are SQLite's: store redis keeps its data in Redis",
    });
  if (out.url !== undefined)
    issues.push({
      path: "persistence.url",
      message: "url names a database server: Redis goes in redis or cluster_nodes",
    });
  if (out.durability === "relaxed")
    issues.push({
      path: "persistence.durability",
      message: "relaxed is SQLite's: Redis' appendfsync decides",
    });
  return true;
}

const sessionDbOptions = lazySchema((z) =>
  z.strictObject({
    /** SQLAlchemy URL: `sqlite:///file`, `sqlite+aiosqlite:///file`, or a PostgreSQL or MySQL/MariaDB server. */
    connection: z.string().optional(),
    /** Deprecated aMQTT option: the SQLite file. */
    file: z.string().optional(),
    clear_on_shutdown: z.boolean().optional(),
  }),
);

/**
 * Resolve `persistence` and aMQTT's SessionDBPlugin entry (`plugins` key path
 * given) into one setting. Relative paths are taken from `baseDir`.
 */
export function resolvePersistence(
  written: RawPersistence | null | undefined,
  sessionDb: { options: unknown; path: string } | undefined,
  baseDir: string,
  issues: ConfigIssue[],
): ResolvedPersistence {
  const out: ResolvedPersistence = {
    store: written?.store,
    file: undefined,
    durability: written?.durability ?? "full",
    clearOnShutdown: written?.clear_on_shutdown ?? false,
  };
  const absolute = (p: string) => (isAbsolute(p) ? p : resolvePath(baseDir, p));
  if (written?.file !== undefined) out.file = absolute(written.file);
  else if (written?.data_dir !== undefined) out.file = join(absolute(written.data_dir), DATA_FILE_NAME);
  if (out.store === "memory" && out.file !== undefined)
    issues.push({ path: "persistence", message: "file and data_dir need store: sqlite, not memory" });
  if (written?.url !== undefined) out.url = written.url;
  if (written?.password_file !== undefined) out.passwordFile = absolute(written.password_file);
  if (sessionDb === undefined) {
    if (!resolveRedis(written, out, issues)) resolveServer(out, "persistence", issues);
    return out;
  }
  if (written?.store === "redis" || written?.redis !== undefined || written?.cluster_nodes !== undefined)
    issues.push({ path: "persistence", message: `store: redis contradicts ${sessionDb.path}` });
  const parsed = sessionDbOptions().safeParse(sessionDb.options ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      issues.push({ path: [sessionDb.path, ...issue.path.map(String)].join("."), message: issue.message });
    return out;
  }
  const options = parsed.data;
  // aMQTT clears the database at shutdown unless told not to.
  out.clearOnShutdown = written?.clear_on_shutdown ?? options.clear_on_shutdown ?? true;
  let file = options.file;
  if (options.connection !== undefined) {
    const server = serverStoreOf(options.connection);
    if (server !== undefined) {
      // The persistence section may add password_file; its own url would contradict the plugin's.
      if (written?.url !== undefined && written.url !== options.connection)
        issues.push({ path: "persistence.url", message: `contradicts ${sessionDb.path}.connection` });
      out.url = options.connection;
      resolveServer(out, sessionDb.path, issues);
      return out;
    }
    // sqlite:///relative.db, sqlite:////absolute.db, with or without a +driver.
    const m = /^sqlite(?:\+\w+)?:\/\/\/(.+)$/.exec(options.connection);
    if (m === null) {
      issues.push({
        path: `${sessionDb.path}.connection`,
        message: `unsupported database ${options.connection.split(":")[0]}: use sqlite:///file.db or ${SERVER_HINT}`,
      });
      return out;
    }
    file = m[1]!;
  }
  out.store = "sqlite";
  // aMQTT's default database is amqtt.db in the working folder.
  out.file ??= absolute(file ?? DATA_FILE_NAME);
  return out;
}
