import { dirname, resolve } from "node:path";
import type { BridgeConfig } from "@amqtt/bridge";
import {
  type AnyPluginDefinition,
  Broker,
  type BrokerConfigInput,
  ConfigError,
  DATA_FILE_NAME,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  loadBrokerConfigFile,
  loggerFromConfig,
  PluginLoadError,
  type ResolvedBrokerConfig,
  type ResolvedCluster,
  redactRedisUrl,
  resolveBrokerConfig,
} from "@amqtt/broker";
import { openAdminListener } from "./admin-listener.js";
import { chooseStore, DEFAULT_DATA_DIR } from "./broker-store.js";
import { createClusterBus, describeCluster } from "./cluster-bus.js";
import { parseOrExit } from "./command-line.js";
import { Command, InvalidArgumentError } from "./commander.js";
import { loadContribPluginDefinitions } from "./contrib-plugins.js";
import { releaseOptimisingCompiler } from "./startup-compiler.js";
import { VERSION } from "./version.js";
import { parseWorkers, runPrimary, workerIndex } from "./workers.js";

/**
 * The broker's embedded defaults, used without `-c`: MQTT on TCP 1883 and
 * WebSocket 8080, both on 127.0.0.1 (reachable only from this machine until a
 * config says otherwise), anonymous clients allowed, `$SYS` every 20 s. State
 * goes to SQLite in `./amqtt-data` (see `chooseStore`).
 */
export const EMBEDDED_DEFAULTS: BrokerConfigInput = {
  listeners: {
    default: { type: "tcp", bind: "127.0.0.1:1883" },
    ws: { type: "ws", bind: "127.0.0.1:8080" },
  },
  plugins: {
    "event-logger": {},
    "packet-logger": {},
    "anonymous-auth": { allow_anonymous: true },
    sys: { sys_interval: 20 },
  },
};

/** Options of the `amqtt` command. */
interface BrokerCommandOptions {
  config?: string;
  debug?: boolean;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  logLevels?: Record<string, LogLevel>;
  host?: string;
  port?: number;
  wsPort?: number;
  ws: boolean;
  memory?: boolean;
  dataDir?: string;
  adminPort?: number;
  cluster?: string;
  workers?: number;
}

function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${allowed.join(", ")}`);
    return value as T;
  };
}

/** `broker=debug,plugins.file-auth=warn` as a map of component to level. */
function componentLevels(value: string): Record<string, LogLevel> {
  const out: Record<string, LogLevel> = {};
  for (const pair of value.split(",")) {
    const [component, level] = pair.split("=").map((p) => p.trim());
    if (!component || !level || !(LOG_LEVELS as readonly string[]).includes(level))
      throw new InvalidArgumentError(
        `expected component=level pairs separated by commas, levels among ${LOG_LEVELS.join(", ")}`,
      );
    out[component] = level as LogLevel;
  }
  return out;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError("expected a port number from 0 to 65535");
  return n;
}

/** Build the `amqtt` command (the broker). `run` resolves with the exit code. */
export function brokerCommand(): Command {
  return new Command("amqtt")
    .description("Run the amqtt MQTT broker (MQTT 3.1, 3.1.1 and 5.0).")
    .version(`amqtt ${VERSION}`, "--version", "print the version and exit")
    .option("-c, --config <file>", "aMQTT YAML configuration file (default: the embedded defaults)")
    .option("-d, --debug", "log at debug level (same as --log-level debug)")
    .option(
      "--log-level <level>",
      "least severe level logged: debug, info, warn, error (default: the config's log_level, else info)",
      oneOf(LOG_LEVELS),
    )
    .option(
      "--log-format <format>",
      "text or json (one JSON object per line; default: the config's log_format, else text)",
      oneOf(["text", "json"] as const),
    )
    .option(
      "--log-levels <list>",
      "levels per component, over the config's log_levels: broker=debug,plugins.file-auth=warn",
      componentLevels,
    )
    .option("--host <address>", "listen on this address instead of the configured ones")
    .option("-p, --port <port>", "TCP port of the default listener", port)
    .option("--ws-port <port>", "WebSocket port (embedded defaults only)", port)
    .option("--no-ws", "no WebSocket listener (embedded defaults only)")
    .option(
      "--data-dir <dir>",
      `keep sessions, queues and retained messages in <dir>/${DATA_FILE_NAME} (SQLite; default ./${DEFAULT_DATA_DIR}, or the config's persistence section)`,
    )
    .option("--memory", "keep state in memory only: nothing survives a restart")
    .option(
      "--admin-port <port>",
      "serve the admin API, /metrics and the dashboard on 127.0.0.1:<port> (or the configured admin listener's host)",
      port,
    )
    .option(
      "--cluster <url>",
      "be a node of the cluster on this Redis/Valkey (redis://host:6379/0, rediss:// for TLS); wins over the config's cluster.redis",
    )
    .option(
      "--workers <n>",
      "run n worker processes (auto: one per core) on the same listeners, each a node of the --cluster",
      parseWorkers,
    )
    .helpOption("-h, --help", "show this help")
    .showHelpAfterError();
}

/** Apply the command-line overrides to the embedded defaults or a loaded file. */
function withOverrides(
  config: BrokerConfigInput,
  options: BrokerCommandOptions,
  fromFile: boolean,
): BrokerConfigInput {
  const listeners = { ...config.listeners };
  if (!fromFile && !options.ws) delete listeners.ws;
  for (const [name, listener] of Object.entries(listeners)) {
    const [, defaultPort] = /:(\d+)$/.exec(listener.bind ?? "") ?? [];
    let listenerPort = defaultPort;
    if (name === "default" && options.port !== undefined) listenerPort = String(options.port);
    if (name === "ws" && !fromFile && options.wsPort !== undefined) listenerPort = String(options.wsPort);
    if (options.host !== undefined || listenerPort !== defaultPort) {
      const host = options.host ?? (listener.bind ?? "").replace(/:\d+$/, "");
      listeners[name] = {
        ...listener,
        bind: `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${listenerPort ?? ""}`,
      };
    }
  }
  return { ...config, listeners };
}

/**
 * The configuration the command runs: the file's (or the embedded defaults) with
 * the command-line overrides (host, port, `--cluster`, log level and format).
 * Throws `ConfigError`. Used at start and again on SIGHUP.
 */
async function commandConfig(options: BrokerCommandOptions): Promise<ResolvedBrokerConfig> {
  let config: ResolvedBrokerConfig;
  try {
    // Without the contrib plugins first: most configurations name none, and then none is loaded.
    config = await resolveCommandConfig(options, []);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Again with them: a contrib plugin resolves, or the error is the same as with them from the start.
    config = await resolveCommandConfig(options, await loadContribPluginDefinitions());
  }
  // --log-level (or -d) beats the file's log_level; the command's own default is info.
  const level = options.logLevel ?? (options.debug ? "debug" : config.logging.level);
  config.logging = {
    ...config.logging,
    level,
    ...(options.logFormat === undefined ? {} : { format: options.logFormat }),
    levels: { ...config.logging.levels, ...options.logLevels },
  };
  return config;
}

/** The file's configuration (or the embedded defaults) with host and port overrides, resolved with `definitions`. */
async function resolveCommandConfig(
  options: BrokerCommandOptions,
  definitions: readonly AnyPluginDefinition[],
): Promise<ResolvedBrokerConfig> {
  // `--cluster <url>` is the cluster section's engine (validated with it: errors name `cluster.redis`).
  const engine = options.cluster === undefined ? {} : { clusterEngine: options.cluster };
  // The embedded defaults are typed constants (with flags commander checked): no schema pass, no zod.
  if (options.config === undefined)
    return resolveBrokerConfig(withOverrides(EMBEDDED_DEFAULTS, options, false), {
      pluginDefinitions: definitions,
      ...engine,
      trusted: true,
    });
  const loaded = await loadBrokerConfigFile(resolve(options.config), {
    pluginDefinitions: definitions,
    ...engine,
  });
  return options.host === undefined && options.port === undefined
    ? loaded
    : overrideResolved(loaded, options);
}

/** Whether the store `chooseStore` picks is a server every node of a cluster shares (the bridges' queues must be one). */
function sharedStore(config: ResolvedBrokerConfig, options: BrokerCommandOptions): boolean {
  if (options.memory === true || options.dataDir !== undefined) return false;
  const p = config.persistence;
  return (
    // A cluster node without a persistence section keeps its state on the engine (`chooseStore`).
    (p.store === undefined && config.cluster !== undefined) ||
    (p.store === "redis" && p.redis !== undefined) ||
    ((p.store === "postgresql" || p.store === "mysql") && p.url !== undefined)
  );
}

/** The bridges' hop-list id of a cluster: the same on every node of one engine and key prefix, no secret in it. */
async function clusterHopId(cluster: ResolvedCluster): Promise<string> {
  // Imported here: a broker without bridges in a cluster never loads `node:crypto`.
  const { createHash } = await import("node:crypto");
  const engine =
    cluster.clusterNodes.length > 0
      ? cluster.clusterNodes.map(redactRedisUrl).join(",")
      : redactRedisUrl(cluster.redis ?? "");
  return `cluster-${createHash("sha256").update(`${engine}\u0000${cluster.keyPrefix}`).digest("hex").slice(0, 16)}`;
}

/** Run the broker until SIGINT/SIGTERM; SIGHUP reloads. Resolves with the process exit code. */
export async function runBroker(argv: readonly string[]): Promise<number> {
  const command = brokerCommand();
  const exit = parseOrExit(command, argv);
  if (exit !== undefined) return exit;
  const options = command.opts<BrokerCommandOptions>();
  let config: ResolvedBrokerConfig;
  const baseDir = options.config === undefined ? process.cwd() : dirname(resolve(options.config));
  try {
    config = await commandConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Broker failed to start: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (options.memory === true && options.dataDir !== undefined) {
    process.stderr.write("Broker failed to start: --memory and --data-dir contradict each other\n");
    return 2;
  }
  // Bridges are checked before anything starts: a typo names its field and nothing listens.
  let bridgeConfigs: BridgeConfig[] = [];
  // @amqtt/bridge (and the MQTT client under it) is imported only when the configuration has bridges.
  const noBridges = Array.isArray(config.bridges) && config.bridges.length === 0;
  const bridging = noBridges ? undefined : await import("@amqtt/bridge");
  try {
    if (bridging !== undefined) bridgeConfigs = bridging.parseBridges(config.bridges, { baseDir });
  } catch (error) {
    if (bridging !== undefined && error instanceof bridging.BridgeConfigError) {
      process.stderr.write(`Broker failed to start: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const cluster = config.cluster;
  const workers = options.workers ?? 1;
  if (bridgeConfigs.length > 0 && cluster !== undefined && !sharedStore(config, options)) {
    // Each node queues its own publishers' messages for the bridge; one node sends them: one queue for all.
    process.stderr.write(
      "amqtt: bridges in a cluster need a store every node shares (persistence: { store: redis, ... }, or PostgreSQL/MySQL), not memory or SQLite\n",
    );
    return 2;
  }
  if (workers > 1 && cluster === undefined) {
    process.stderr.write(
      `amqtt: --workers ${workers} needs a cluster for the workers to see each other: add --cluster redis://127.0.0.1:6379 (or a cluster section in the config)\n`,
    );
    return 2;
  }
  const worker = workerIndex();
  // The primary of --workers runs no broker: it logs with the configuration's settings.
  if (workers > 1 && worker === undefined) {
    releaseOptimisingCompiler();
    return runPrimary(workers, loggerFromConfig(config.logging, "info"));
  }
  const { store, file, kind, server } = await chooseStore(config, { ...options, worker });
  const bus = cluster === undefined ? undefined : await createClusterBus(cluster, worker);
  // The broker makes its own logger (so a reload can change its levels), at info unless told.
  const broker = new Broker(config, {
    defaultLogLevel: "info",
    baseDir,
    store,
    ...(bus === undefined ? {} : { cluster: bus }),
  });
  const logger = broker.logger;
  // Before start: a SIGHUP without a handler would end the process (Node's default).
  const onHangUp = () => void reloadOnSignal(broker, options);
  process.on("SIGHUP", onHangUp);
  // SIGINT/SIGTERM during start-up are kept and honoured once started: without a
  // handler Node would end the process there, with nothing closed.
  let stopSignal: NodeJS.Signals | undefined;
  let stopNow: ((signal: NodeJS.Signals) => void) | undefined;
  const onStop = (signal: NodeJS.Signals) => {
    if (stopNow !== undefined) stopNow(signal);
    else stopSignal ??= signal;
  };
  process.on("SIGINT", onStop);
  process.on("SIGTERM", onStop);
  const offSignals = () => {
    process.off("SIGHUP", onHangUp);
    process.off("SIGINT", onStop);
    process.off("SIGTERM", onStop);
  };
  try {
    await broker.start();
  } catch (error) {
    const why = error instanceof PluginLoadError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`Broker failed to start: ${why}\n`);
    offSignals();
    return 1;
  }
  // Made before the admin listener (which shows their state), started once it is open.
  const bridges =
    bridging === undefined
      ? undefined
      : new bridging.Bridges(
          bridgeConfigs,
          broker,
          bus === undefined || cluster === undefined
            ? {}
            : {
                // One hop-list id for the whole cluster: a message back from the remote is ours on any node.
                nodeId: await clusterHopId(cluster),
                cluster: { engine: bus, leaseMs: cluster.leaseMs },
              },
        );
  let admin: Awaited<ReturnType<typeof openAdminListener>>;
  try {
    // With --workers each worker serves it on the admin port + its index (its own /metrics; the API sees the cluster).
    admin = await openAdminListener(broker, options.adminPort, logger, bridges, worker);
  } catch (error) {
    await broker.stop();
    offSignals();
    process.stderr.write(
      `Broker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  // The server URL is logged redacted: never with its password.
  logger.info(kind === "memory" ? "state in memory (--memory)" : `state kept in ${kind}`, {
    ...(file === undefined ? {} : { file }),
    ...(server === undefined ? {} : { server }),
  });
  // Start-up is over (bin.ts held the optimising compiler back until here).
  releaseOptimisingCompiler();
  if (bus !== undefined)
    logger.info("cluster node", { node: bus.nodeId, pid: process.pid, ...describeCluster(cluster!) });
  // Started after the broker (their queues live in its store); they connect in the background.
  await bridges?.start();
  if (bridgeConfigs.length > 0)
    logger.info("bridges started", {
      bridges: bridgeConfigs.map((b) => `${b.name} -> ${b.addresses.join(", ")}`),
    });
  // SIGHUP reloads the admin credentials too (the broker's own reload is onHangUp).
  const onHangUpAdmin = () => {
    admin
      ?.reloadCredentials()
      .catch((error: unknown) => logger.error("admin credentials reload failed", { error: String(error) }));
  };
  process.on("SIGHUP", onHangUpAdmin);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal}: shutting down`);
      offSignals();
      process.off("SIGHUP", onHangUpAdmin);
      // Bridges first: what they still queue stays in the store for the next start.
      (admin?.close() ?? Promise.resolve())
        .then(() => bridges?.stop())
        .then(() => broker.stop())
        .then(done, done);
    };
    stopNow = stop;
    if (stopSignal !== undefined) stop(stopSignal);
  });
  return 0;
}

/**
 * SIGHUP: read the configuration file again and reload the broker with it
 * (certificates, password and ACL files, the settings that can change; the
 * broker logs what it refused). An invalid file changes nothing and is logged.
 */
async function reloadOnSignal(broker: Broker, options: BrokerCommandOptions): Promise<void> {
  const logger = broker.logger;
  logger.info("SIGHUP: reloading", options.config === undefined ? {} : { config: resolve(options.config) });
  try {
    const report = await broker.reload(await commandConfig(options));
    logger.info("SIGHUP: reload done", { applied: report.applied.length, refused: report.refused.length });
  } catch (error) {
    logger.error("SIGHUP: reload failed, nothing changed", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Host and port overrides on a configuration loaded from a file (default listener only for the port). */
function overrideResolved(config: ResolvedBrokerConfig, options: BrokerCommandOptions): ResolvedBrokerConfig {
  return {
    ...config,
    listeners: config.listeners.map((l) => ({
      ...l,
      // --host is for the MQTT listeners: the admin listener keeps its own (loopback unless configured).
      host: l.type === "http" ? l.host : (options.host ?? l.host),
      port: l.name === "default" && options.port !== undefined ? options.port : l.port,
    })),
  };
}
