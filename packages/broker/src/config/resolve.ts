// Over 400 lines: one resolver per aMQTT configuration section, kept in one file so the YAML-to-config mapping reads top to bottom.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve as resolvePath } from "node:path";
import type { z } from "zod";
import type { AnyPluginDefinition } from "../plugins/definition.js";
import { parseBind } from "./bind.js";
import { type ResolvedCluster, resolveCluster } from "./cluster.js";
import {
  type ListenerEdge,
  type RateLimits,
  resolveListenerEdge,
  resolveRateLimits,
  unixBindPath,
} from "./edge.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { connectionLimitDefault } from "./fd-limit.js";
import { type ResolvedLogging, resolveLogging } from "./logging.js";
import { type ResolvedPersistence, resolvePersistence, SESSION_DB_PLUGINS } from "./persistence.js";
import {
  describeIssue,
  isEntryPointName,
  legacyPluginName,
  type PluginRegistry,
  type PluginSpec,
  pluginRegistry,
  resolvePlugin,
} from "./plugins.js";
import { type BrokerConfigInput, brokerConfigSchema, type listenerSchema } from "./schema.js";
import { resolveSlowConsumer, type SlowConsumerPolicy } from "./slow-consumer.js";

/** A listener ready to open. */
export interface ResolvedListener {
  /** Its name in `listeners` (`default` included: it listens too, as in aMQTT). */
  name: string;
  /**
   * `tcp` (MQTT over TCP or TLS), `ws` (WebSocket, or secure WebSocket with TLS),
   * `external` (no socket: connections come through `broker.handle`), or `http`
   * (the admin listener; the broker does not open it, `@amqtt/admin` does).
   */
  type: "tcp" | "ws" | "external" | "http";
  host: string;
  port: number;
  /** Connections accepted at once; 0 means no limit (only when written so). */
  maxConnections: number;
  /** TLS settings, present when `ssl` is on. File paths are absolute. */
  tls?: {
    certfile: string;
    keyfile: string;
    cafile?: string;
    capath?: string;
    cadata?: string;
    /** Ask clients for a certificate; presenting one stays optional. */
    requestCert: boolean;
  };
  /** WebSocket only: the path upgrades are accepted on; any path when absent. */
  path?: string;
  /** PROXY protocol, forwarded headers, unix socket, connection rate. */
  edge?: ListenerEdge;
}

/** The admin listener's credentials (`admin:` in the configuration); file paths are absolute. */
export interface ResolvedAdmin {
  passwordFile: string | undefined;
  tokensFile: string | undefined;
  metricsPublic: boolean;
}

/** Bounds that keep one client from taking the broker's memory. */
export interface BrokerLimits {
  /** Largest packet accepted, and advertised in 5.0 CONNACK, in bytes. */
  maxPacketSize: number;
  /** Inbound QoS 1/2 window per client (5.0 Receive Maximum advertised). */
  receiveMaximum: number;
  /** Outbound QoS 1/2 messages in flight per client (also capped by the client's Receive Maximum). */
  maxInflightMessages: number;
  /** Messages queued per session while offline or waiting for the window; 0 = no limit. */
  maxQueuedMessages: number;
  /** Bytes queued per session; 0 = no limit. */
  maxQueuedBytes: number;
  /** Queue QoS 0 messages for offline persistent sessions too. */
  queueQos0Messages: boolean;
  /** Largest keep alive accepted; longer ones are lowered (5.0 Server Keep Alive). 0 = no cap. */
  maxKeepalive: number;
  /** Topic aliases accepted from each 5.0 client. */
  topicAliasMaximum: number;
  /** Longest client identifier accepted, in bytes. */
  maxClientIdLength: number;
  /** Subscriptions one session may hold; more are refused per filter (SUBACK 0x97 / 0x80). 0 = no limit. */
  maxSubscriptionsPerClient: number;
  /** Seconds a new connection has to complete its CONNECT handshake; 0 waits forever. */
  connectTimeout: number;
  /** Largest packet accepted before the CONNECT is decoded (the CONNECT itself), in bytes. */
  maxPacketSizeBeforeConnect: number;
  /** Retained messages of clients kept at once (the broker's own `$SYS/` ones are outside it). */
  maxRetainedMessages: number;
  /** Bytes of clients' retained messages kept at once (as the store counts them: topic, payload, properties). */
  maxRetainedBytes: number;
  /** Seconds a client's retained message is kept at most (its own Message Expiry Interval may be shorter); 0 = no limit. */
  retainedMessageExpiry: number;
}

/** What the broker offers (advertised in 5.0 CONNACK). */
export interface BrokerCapabilities {
  maxQos: 0 | 1 | 2;
  retainAvailable: boolean;
  wildcardSubscriptionAvailable: boolean;
  subscriptionIdentifierAvailable: boolean;
  sharedSubscriptionAvailable: boolean;
  sharedSubscriptionStrategy: "round-robin" | "random" | "sticky" | "hash-client-id" | "hash-topic";
}

/** A validated configuration with every default applied. */
export interface ResolvedBrokerConfig {
  listeners: ResolvedListener[];
  /** Seconds added to each client's keep-alive grace (aMQTT `timeout_disconnect_delay`). */
  timeoutDisconnectDelay: number;
  /** Seconds a disconnected persistent session is kept; `undefined` keeps it until restart (aMQTT's default). */
  sessionExpiryInterval: number | undefined;
  plugins: PluginSpec[];
  limits: BrokerLimits;
  capabilities: BrokerCapabilities;
  /** 5.0 Response Information prefix: a client that asks gets this followed by its client id. */
  responseInformation: string;
  /** Where sessions, queues and retained messages are kept. */
  persistence: ResolvedPersistence;
  /** Slow subscribers: queue overflow, acknowledgement deadline, opt-in publisher backpressure. */
  slowConsumer: SlowConsumerPolicy;
  /** PUBLISH to a `$` topic other than `$SYS/`: `accept` (delivered only to filters naming it) or `refuse`. */
  dollarTopicPublish: "accept" | "refuse";
  /** Log format and levels (`log_format`, `log_level`, `log_levels`). */
  logging: ResolvedLogging;
  /** The admin listener's credentials (used by `@amqtt/admin` for the `type: http` listeners). */
  admin: ResolvedAdmin;
  /** Per-client rates, global client cap, message memory budget. */
  rateLimits: RateLimits;
  /** The cluster this broker is a node of (`cluster` section), `undefined` for a single broker. */
  cluster?: ResolvedCluster | undefined;
  /**
   * The `bridges:` list as written: `@amqtt/bridge` validates and runs it
   * (`Bridges.fromConfig(config.bridges, broker)`; the amqtt command does it).
   * Empty when absent.
   */
  bridges: readonly unknown[];
  /** Things that work but deserve a look (deprecated keys, ignored settings). */
  warnings: string[];
}

/** Defaults of our additions; see the package README for why each value. */
export const defaultLimits: BrokerLimits = {
  maxPacketSize: 8 * 1024 * 1024,
  receiveMaximum: 100,
  maxInflightMessages: 100,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 16 * 1024 * 1024,
  queueQos0Messages: false,
  maxKeepalive: 0,
  topicAliasMaximum: 10,
  maxClientIdLength: 65_535,
  maxSubscriptionsPerClient: 10_000,
  connectTimeout: 10,
  maxPacketSizeBeforeConnect: 128 * 1024,
  maxRetainedMessages: 100_000,
  maxRetainedBytes: 256 * 1024 * 1024,
  retainedMessageExpiry: 0,
};

/**
 * Connections per listener when `max_connections` is not written: the process's
 * open-files limit less a reserve (10,000 where it cannot be read); see `fd-limit.ts`.
 */
export const DEFAULT_MAX_CONNECTIONS = connectionLimitDefault().limit;

const defaultPorts = { tcp: 1883, tcps: 8883, ws: 8080, wss: 8443, http: 9090 } as const;

/** aMQTT's default plugins (`amqtt.contexts.default_broker_plugins`). */
const defaultPlugins: Record<string, Record<string, unknown>> = {
  "event-logger": {},
  "packet-logger": {},
  "anonymous-auth": { allow_anonymous: true },
  sys: { sys_interval: 20 },
};

type RawConfig = z.output<ReturnType<typeof brokerConfigSchema>>;
type RawListener = z.output<ReturnType<typeof listenerSchema>>;

/** How a configuration is resolved besides its content. */
export interface ResolveOptions {
  /** The file it came from, for messages. */
  file?: string;
  /** Folder relative file paths start from (default: the working directory). */
  baseDir?: string;
  /** Plugins of other packages the configuration may name (e.g. `@amqtt/contrib-http`'s). */
  pluginDefinitions?: readonly AnyPluginDefinition[];
  /**
   * A cluster engine URL given outside the configuration (`amqtt --cluster`): it
   * replaces the `cluster` section's `redis`/`cluster_nodes` (the section may
   * then leave them out, or be absent).
   */
  clusterEngine?: string;
  /**
   * The input is a `BrokerConfigInput` built by code from typed constants (the
   * `amqtt` command's embedded defaults with its flags): skip the schema pass,
   * so zod is not even loaded (about 13 MB of RSS). The resolver's own checks
   * (binds, files, duplicate ports, plugin names) still run. Never set it for
   * what a user or a file wrote: that is validated with every key path named.
   */
  trusted?: boolean;
}

/**
 * Validate a configuration (parsed YAML or a TypeScript object) and apply every
 * default. Throws `ConfigError` listing every problem with its key path.
 * `baseDir` resolves relative file paths (the config file's folder).
 * `pluginDefinitions` are the plugins of other packages (contrib) the
 * configuration may name, by our names or aMQTT's.
 */
export function resolveBrokerConfig(input: unknown, options: ResolveOptions = {}): ResolvedBrokerConfig {
  const raw = options.trusted === true ? trustedInput(input as BrokerConfigInput) : validated(input, options);
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const baseDir = options.baseDir ?? process.cwd();
  const listeners = resolveListeners(raw, baseDir, issues);
  const sessionDb = takeSessionDbPlugin(raw);
  const registry = pluginRegistry(options.pluginDefinitions);
  const plugins = resolvePlugins(raw, baseDir, registry, issues, warnings, options.trusted === true);
  const persistence = resolvePersistence(raw.persistence, sessionDb, baseDir, issues);
  const maxInflight = raw.max_inflight_messages ?? defaultLimits.maxInflightMessages;
  const maxQueued = raw.max_queued_messages ?? defaultLimits.maxQueuedMessages;
  const slowConsumer = resolveSlowConsumer(
    raw,
    maxQueued === 0 ? 0 : maxInflight + maxQueued,
    issues,
    warnings,
  );
  const cluster = resolveCluster(
    options.clusterEngine === undefined
      ? raw.cluster
      : { ...raw.cluster, redis: options.clusterEngine, cluster_nodes: undefined },
    baseDir,
    issues,
  );
  if (raw.qos1_puback_timeout != null)
    warnings.push(
      "qos1_puback_timeout is ignored: unacknowledged QoS 1 messages stay in flight and are resent on reconnect, as MQTT requires, instead of being dropped after a timeout",
    );
  const admin = resolveAdmin(raw, baseDir, issues);
  if (issues.length > 0) throw new ConfigError(issues, options.file);
  return {
    listeners,
    timeoutDisconnectDelay: raw.timeout_disconnect_delay ?? 0,
    sessionExpiryInterval: raw.session_expiry_interval ?? undefined,
    plugins,
    limits: {
      maxPacketSize: raw.max_packet_size ?? defaultLimits.maxPacketSize,
      receiveMaximum: raw.receive_maximum ?? defaultLimits.receiveMaximum,
      maxInflightMessages: maxInflight,
      maxQueuedMessages: maxQueued,
      maxQueuedBytes: raw.max_queued_bytes ?? defaultLimits.maxQueuedBytes,
      queueQos0Messages: raw.queue_qos0_messages ?? defaultLimits.queueQos0Messages,
      maxKeepalive: raw.max_keepalive ?? defaultLimits.maxKeepalive,
      topicAliasMaximum: raw.topic_alias_maximum ?? defaultLimits.topicAliasMaximum,
      maxClientIdLength: raw.max_client_id_length ?? defaultLimits.maxClientIdLength,
      maxSubscriptionsPerClient: raw.max_subscriptions_per_client ?? defaultLimits.maxSubscriptionsPerClient,
      connectTimeout: raw.connect_timeout ?? defaultLimits.connectTimeout,
      maxPacketSizeBeforeConnect:
        raw.max_packet_size_before_connect ?? defaultLimits.maxPacketSizeBeforeConnect,
      maxRetainedMessages: raw.max_retained_messages ?? defaultLimits.maxRetainedMessages,
      maxRetainedBytes: raw.max_retained_bytes ?? defaultLimits.maxRetainedBytes,
      retainedMessageExpiry: raw.retained_message_expiry ?? defaultLimits.retainedMessageExpiry,
    },
    capabilities: {
      maxQos: raw.max_qos ?? 2,
      retainAvailable: raw.retain_available ?? true,
      wildcardSubscriptionAvailable: raw.wildcard_subscription_available ?? true,
      subscriptionIdentifierAvailable: raw.subscription_identifier_available ?? true,
      sharedSubscriptionAvailable: raw.shared_subscription_available ?? true,
      sharedSubscriptionStrategy: raw.shared_subscription_strategy ?? "round-robin",
    },
    responseInformation: raw.response_information ?? "response/",
    persistence,
    slowConsumer,
    dollarTopicPublish: raw.dollar_topic_publish ?? "accept",
    logging: resolveLogging(raw),
    admin,
    bridges: raw.bridges ?? [],
    rateLimits: resolveRateLimits(raw),
    cluster,
    warnings,
  };
}

/** The configuration checked against the schema; throws `ConfigError` naming every bad key path. */
function validated(input: unknown, options: ResolveOptions): RawConfig {
  const parsed = brokerConfigSchema().safeParse(input ?? {}, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: describeIssue(i) })),
      options.file,
    );
  }
  return parsed.data;
}

/**
 * A trusted input as the schema would give it back: a copy (resolving takes
 * the SessionDB plugin out of `plugins`), no defaults to apply (the schema has
 * none at this level; the built-in plugins' defaults are applied by `resolvePlugin`).
 */
function trustedInput(input: BrokerConfigInput): RawConfig {
  return structuredClone(input) as RawConfig;
}

/** The `admin` section: credential files resolved against `baseDir` and checked to exist. */
function resolveAdmin(raw: RawConfig, baseDir: string, issues: ConfigIssue[]): ResolvedAdmin {
  const a = raw.admin ?? {};
  const file = (key: "password_file" | "tokens_file"): string | undefined => {
    const value = a[key];
    if (value == null) return undefined;
    const full = isAbsolute(value) ? value : resolvePath(baseDir, value);
    if (!existsSync(full)) issues.push({ path: `admin.${key}`, message: `file not found: ${full}` });
    return full;
  };
  return {
    passwordFile: file("password_file"),
    tokensFile: file("tokens_file"),
    metricsPublic: a.metrics_public ?? false,
  };
}

/** Fields a named listener takes from `default` when it leaves them out (not `type` or `bind`). */
const inheritedFields = [
  "max_connections",
  "ssl",
  "cafile",
  "capath",
  "cadata",
  "certfile",
  "keyfile",
  "request_cert",
] as const;

function resolveListeners(raw: RawConfig, baseDir: string, issues: ConfigIssue[]): ResolvedListener[] {
  const entries = Object.entries(raw.listeners ?? { default: { type: "tcp", bind: "0.0.0.0:1883" } });
  const base = raw.listeners?.default;
  const out: ResolvedListener[] = [];
  for (const [name, written] of entries) {
    const listener: RawListener = { ...written };
    // The admin listener (`http`) takes nothing from the MQTT default: its TLS is its own.
    if (name !== "default" && base !== undefined && written.type !== "http") {
      // aMQTT copies every field left at its default from `default`, `type` and
      // `bind` included (QUIRK: a listener without `type` turns into `ws` when
      // `default` is ws). Here `type` defaults to tcp and `bind` to the type's port.
      for (const field of inheritedFields) {
        if (listener[field] === undefined && base[field] !== undefined)
          (listener as Record<string, unknown>)[field] = base[field];
      }
    }
    const resolved = resolveListener(name, listener, baseDir, issues);
    if (resolved !== undefined) out.push(resolved);
  }
  const seen = new Map<string, string>();
  for (const l of out) {
    if (l.type === "external" || l.port === 0) continue;
    const key = `${l.host}:${l.port}`;
    const other = seen.get(key);
    if (other !== undefined)
      issues.push({
        path: `listeners.${l.name}.bind`,
        message: `${key} is already used by listener "${other}"`,
      });
    seen.set(key, l.name);
  }
  return out;
}

function resolveListener(
  name: string,
  l: RawListener,
  baseDir: string,
  issues: ConfigIssue[],
): ResolvedListener | undefined {
  const path = `listeners.${name}`;
  const type = l.type ?? "tcp";
  const ssl = l.ssl === true || l.ssl === "on";
  const defaultPort =
    type === "http"
      ? defaultPorts.http
      : type === "ws"
        ? ssl
          ? defaultPorts.wss
          : defaultPorts.ws
        : ssl
          ? defaultPorts.tcps
          : defaultPorts.tcp;
  const unixPath = unixBindPath(l.bind);
  const bind =
    unixPath === undefined
      ? parseBind(l.bind ?? "", defaultPort, `${path}.bind`)
      : { host: `unix:${unixPath}`, port: 0 };
  if ("message" in bind) {
    issues.push(bind);
    return undefined;
  }
  const listener: ResolvedListener = {
    name,
    type,
    host: bind.host,
    port: bind.port,
    maxConnections: l.max_connections ?? DEFAULT_MAX_CONNECTIONS,
  };
  const edge = resolveListenerEdge(path, type, l, issues);
  if (edge !== undefined) listener.edge = edge;
  if (l.path !== undefined) {
    if (type !== "ws")
      issues.push({ path: `${path}.path`, message: "only WebSocket listeners (type: ws) have a path" });
    else listener.path = l.path;
  }
  const file = (key: "certfile" | "keyfile" | "cafile" | "capath"): string | undefined => {
    const value = l[key];
    if (value == null) return undefined;
    const full = isAbsolute(value) ? value : resolvePath(baseDir, value);
    if (!existsSync(full)) issues.push({ path: `${path}.${key}`, message: `file not found: ${full}` });
    return full;
  };
  const certfile = file("certfile");
  const keyfile = file("keyfile");
  if ((certfile === undefined) !== (keyfile === undefined))
    issues.push({ path, message: "certfile and keyfile go together: give both or neither" });
  const cafile = file("cafile");
  const capath = file("capath");
  if (capath !== undefined && existsSync(capath) && !statSync(capath).isDirectory())
    issues.push({ path: `${path}.capath`, message: `not a folder: ${capath} (cafile takes a file)` });
  if (ssl) {
    if (certfile === undefined || keyfile === undefined) {
      issues.push({ path: `${path}.ssl`, message: "ssl needs certfile and keyfile" });
    } else {
      listener.tls = { certfile, keyfile, requestCert: l.request_cert ?? false };
      if (cafile !== undefined) listener.tls.cafile = cafile;
      if (capath !== undefined) listener.tls.capath = capath;
      if (l.cadata != null) listener.tls.cadata = l.cadata;
      // aMQTT asks TLS clients for an optional certificate whenever a CA is given.
      if (l.request_cert === undefined && (cafile ?? capath ?? l.cadata) != null)
        listener.tls.requestCert = true;
    }
  }
  return listener;
}

/**
 * aMQTT's SessionDBPlugin is persistence, not a plugin here: take it out of
 * `plugins` (so plugin resolution does not refuse it) and return its options.
 */
function takeSessionDbPlugin(raw: RawConfig): { options: unknown; path: string } | undefined {
  const plugins = raw.plugins;
  if (plugins == null) return undefined;
  if (Array.isArray(plugins)) {
    for (let i = 0; i < plugins.length; i++) {
      const entry = plugins[i]!;
      const name = typeof entry === "string" ? entry : Object.keys(entry)[0];
      if (name === undefined || !SESSION_DB_PLUGINS.has(name)) continue;
      plugins.splice(i, 1);
      return { options: typeof entry === "string" ? {} : entry[name], path: `plugins.${i}.${name}` };
    }
    return undefined;
  }
  for (const name of Object.keys(plugins)) {
    if (!SESSION_DB_PLUGINS.has(name)) continue;
    const options = plugins[name];
    delete plugins[name];
    return { options, path: `plugins.${name}` };
  }
  return undefined;
}

function resolvePlugins(
  raw: RawConfig,
  baseDir: string,
  registry: PluginRegistry,
  issues: ConfigIssue[],
  warnings: string[],
  trusted: boolean,
): PluginSpec[] {
  const legacyTopicCheck = raw["topic-check"] ?? raw.topic_check;
  const hasLegacy = raw.auth != null || legacyTopicCheck != null;
  if (raw.sys_interval != null)
    warnings.push("sys_interval is deprecated: configure the sys plugin's sys_interval instead");
  let entries: [string, unknown, string][];
  if (raw.plugins === undefined && hasLegacy) {
    warnings.push("'auth' and 'topic-check' are deprecated: list plugins under 'plugins' instead");
    entries = legacyPlugins(raw, issues);
  } else {
    const defaults = { ...defaultPlugins, sys: { sys_interval: raw.sys_interval ?? 20 } };
    entries = pluginEntries(raw.plugins === undefined ? defaults : (raw.plugins ?? {}));
    // Older aMQTT files list entry-point names (auth_file, topic_acl, ...) under
    // `plugins` and keep their options in `auth`, `topic-check` and `sys_interval`.
    let usedLegacyOptions = false;
    for (const entry of entries) {
      if (!isEntryPointName(entry[0])) continue;
      const written = (entry[1] ?? {}) as Record<string, unknown>;
      entry[1] = { ...legacyOptions(legacyPluginName(entry[0])!, raw), ...written };
      usedLegacyOptions = true;
    }
    if (hasLegacy && !usedLegacyOptions)
      warnings.push("'auth' and 'topic-check' are ignored because 'plugins' is present (as in aMQTT)");
  }
  const specs: PluginSpec[] = [];
  for (const [name, options, path] of entries) {
    const result = resolvePlugin(name, options, path, registry, { baseDir }, trusted);
    if (Array.isArray(result)) issues.push(...result);
    else {
      if (result.name === "topic-acl" && typeof result.options.acl_file === "string") {
        const file = result.options.acl_file;
        result.options.acl_file = isAbsolute(file) ? file : resolvePath(baseDir, file);
      }
      if (result.name === "file-auth") {
        const file = result.options.password_file as string | null | undefined;
        if (file == null)
          warnings.push(`${path}: no password_file, so this plugin accepts and refuses no one`);
        else result.options.password_file = isAbsolute(file) ? file : resolvePath(baseDir, file);
      }
      specs.push(result);
    }
  }
  if (
    !specs.some(
      (s) =>
        s.name === "anonymous-auth" ||
        s.name === "file-auth" ||
        s.name === "cert-auth" ||
        s.name === "module" ||
        s.definition?.authenticates === true,
    )
  )
    warnings.push("no authentication plugin is configured: every connection will be refused (as in aMQTT)");
  return specs;
}

/** `plugins` as [name, options, key path] in document order, from the map or the legacy list form. */
function pluginEntries(plugins: NonNullable<RawConfig["plugins"]>): [string, unknown, string][] {
  if (!Array.isArray(plugins)) return Object.entries(plugins).map(([k, v]) => [k, v, `plugins.${k}`]);
  const out: [string, unknown, string][] = [];
  plugins.forEach((item, index) => {
    if (typeof item === "string") out.push([item, {}, `plugins.${index}`]);
    else for (const [k, v] of Object.entries(item)) out.push([k, v, `plugins.${index}.${k}`]);
  });
  return out;
}

/** Options that aMQTT's deprecated sections give a built-in plugin. */
function legacyOptions(name: string, raw: RawConfig): Record<string, unknown> {
  const auth = raw.auth ?? {};
  const check = raw["topic-check"] ?? raw.topic_check ?? {};
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
  switch (name) {
    case "anonymous-auth":
      return defined({ allow_anonymous: auth["allow-anonymous"] });
    case "file-auth":
      return defined({ password_file: auth["password-file"] });
    case "topic-acl":
      return defined({
        acl: check.acl,
        publish_acl: check["publish-acl"] ?? check.publish_acl,
        subscribe_acl: check["subscribe-acl"] ?? check.subscribe_acl,
        receive_acl: check["receive-acl"] ?? check.receive_acl,
      });
    case "sys":
      return defined({ sys_interval: raw.sys_interval });
    default:
      return {};
  }
}

/** Translate aMQTT's deprecated `auth`, `topic-check` and `sys_interval` into plugin entries. */
function legacyPlugins(raw: RawConfig, issues: ConfigIssue[]): [string, unknown, string][] {
  const out: [string, unknown, string][] = [
    ["event-logger", {}, "auth"],
    ["packet-logger", {}, "auth"],
  ];
  const auth = raw.auth ?? {};
  // With no `auth.plugins` list, aMQTT enables every authentication plugin it has.
  const authPlugins = auth.plugins ?? ["auth_anonymous", "auth_file"];
  authPlugins.forEach((name, index) => {
    const ours = legacyPluginName(name);
    const path = `auth.plugins.${index}`;
    if (ours === "anonymous-auth" || ours === "file-auth") out.push([ours, legacyOptions(ours, raw), path]);
    else
      issues.push({
        path,
        message: `"${name}" is not an authentication plugin (expected auth_anonymous or auth_file)`,
      });
  });
  const check = raw["topic-check"] ?? raw.topic_check;
  if (check?.enabled) {
    (check.plugins ?? []).forEach((name, index) => {
      const ours = legacyPluginName(name);
      const path = `topic-check.plugins.${index}`;
      if (ours === "topic-taboo" || ours === "topic-acl") out.push([ours, legacyOptions(ours, raw), path]);
      else
        issues.push({ path, message: `"${name}" is not a topic plugin (expected topic_taboo or topic_acl)` });
    });
  }
  out.push(["sys", { sys_interval: raw.sys_interval ?? 0 }, "sys_interval"]);
  return out;
}
