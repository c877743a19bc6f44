import { join, resolve } from "node:path";
import {
  type BrokerStore,
  DATA_FILE_NAME,
  MemoryStore,
  type ResolvedBrokerConfig,
  type ResolvedCluster,
  storeLimitsOf,
} from "@amqtt/broker";
// The store packages are imported when chosen: a --memory broker loads none of
// better-sqlite3, ioredis, pg or mysql2.

/** The data directory of the `amqtt` command when neither flags nor the configuration name one. */
export const DEFAULT_DATA_DIR = "amqtt-data";

/** What the command line says about storage. */
export interface StoreFlags {
  /** `--memory`: keep nothing on disk. */
  memory?: boolean;
  /** `--data-dir <dir>`: the SQLite file goes there. */
  dataDir?: string;
  /** The worker index under `--workers`: each worker keeps its own SQLite file (`amqtt-w<i>.db`). */
  worker?: number | undefined;
}

/** Where the `amqtt` command keeps its state, for the log line at start. */
export interface ChosenStore {
  store: BrokerStore;
  /** The SQLite file, or `undefined` for memory and servers. */
  file: string | undefined;
  /** For the log line: "memory", "SQLite", "PostgreSQL", "MySQL/MariaDB", "Redis" or "Redis Cluster". */
  kind: string;
  /** The server URL (or Redis Cluster nodes) with passwords replaced by `***`, for a server store. */
  server?: string;
}

/**
 * The store of the `amqtt` command. Precedence: `--memory`, then `--data-dir`,
 * then the configuration's `persistence` (or aMQTT's SessionDBPlugin, whose
 * PostgreSQL or MySQL/MariaDB URL makes an `@amqtt/store-sql` store; `store:
 * redis` an `@amqtt/store-redis` one), then, for a cluster node, Redis on the
 * cluster's engine (every node sees every persistent session and queue, so a
 * dead node's sessions live on), then SQLite in `./amqtt-data`: unlike an
 * embedded broker, the command keeps its sessions, queues and retained
 * messages across restarts unless told not to.
 */
export async function chooseStore(config: ResolvedBrokerConfig, flags: StoreFlags): Promise<ChosenStore> {
  const limits = storeLimitsOf(config.limits);
  const p = config.persistence;
  if (flags.memory === true || (flags.dataDir === undefined && p.store === "memory"))
    return { store: new MemoryStore({ limits }), file: undefined, kind: "memory" };
  if (
    flags.dataDir === undefined &&
    (p.store === "postgresql" || p.store === "mysql") &&
    p.url !== undefined
  ) {
    const { createSqlStore, redactDatabaseUrl } = await import("@amqtt/store-sql");
    const store = createSqlStore({
      url: p.url,
      ...(p.passwordFile === undefined ? {} : { passwordFile: p.passwordFile }),
      limits,
    });
    return {
      store,
      file: undefined,
      kind: p.store === "postgresql" ? "PostgreSQL" : "MySQL/MariaDB",
      server: redactDatabaseUrl(p.url),
    };
  }
  if (flags.dataDir === undefined && p.store === "redis" && p.redis !== undefined) {
    const r = p.redis;
    const { RedisStore } = await import("@amqtt/store-redis");
    const store = new RedisStore({
      ...(r.url === undefined ? {} : { url: r.url }),
      ...(r.clusterNodes === undefined ? {} : { clusterNodes: r.clusterNodes }),
      ...(r.keyPrefix === undefined ? {} : { keyPrefix: r.keyPrefix }),
      ...(p.passwordFile === undefined ? {} : { passwordFile: p.passwordFile }),
      limits,
    });
    // target is the URL or node list with every password replaced by ***.
    return {
      store,
      file: undefined,
      kind: r.clusterNodes === undefined ? "Redis" : "Redis Cluster",
      server: store.target,
    };
  }
  if (flags.dataDir === undefined && p.store === undefined && config.cluster !== undefined)
    return clusterStore(config.cluster, limits);
  const file =
    flags.dataDir !== undefined
      ? join(resolve(flags.dataDir), DATA_FILE_NAME)
      : (p.file ?? join(resolve(DEFAULT_DATA_DIR), DATA_FILE_NAME));
  // SQLite is one writer per file: workers of one command keep one file each.
  const path = flags.worker === undefined ? file : file.replace(/(\.db)?$/, `-w${flags.worker}$1`);
  const { SqliteStore } = await import("@amqtt/store-sqlite");
  return {
    store: new SqliteStore({ path, limits, durability: p.durability }),
    file: path,
    kind: "SQLite",
  };
}

/**
 * The store key prefix of a cluster node's default store: the cluster's own
 * prefix plus `store:`, so the engine's keys and the store's never meet and
 * two clusters on one Redis (two prefixes) keep two stores.
 */
export function clusterStorePrefix(cluster: ResolvedCluster): string {
  return `${cluster.keyPrefix}store:`;
}

/** `@amqtt/store-redis` on the cluster's engine: same server(s), password (URL or file) and prefix family. */
async function clusterStore(
  cluster: ResolvedCluster,
  limits: ReturnType<typeof storeLimitsOf>,
): Promise<ChosenStore> {
  const { RedisStore } = await import("@amqtt/store-redis");
  const store = new RedisStore({
    ...(cluster.clusterNodes.length > 0 ? { clusterNodes: cluster.clusterNodes } : { url: cluster.redis! }),
    ...(cluster.passwordFile === undefined ? {} : { passwordFile: cluster.passwordFile }),
    keyPrefix: clusterStorePrefix(cluster),
    limits,
  });
  // target is the URL or node list with every password replaced by ***.
  return {
    store,
    file: undefined,
    kind:
      cluster.clusterNodes.length > 0
        ? "Redis Cluster (the cluster's engine)"
        : "Redis (the cluster's engine)",
    server: store.target,
  };
}
