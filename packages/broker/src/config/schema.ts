import type { z } from "zod";
import { clusterSchema } from "./cluster.js";
import { edgeBrokerKeys, edgeListenerKeys } from "./edge.js";
import { loggingKeys } from "./logging.js";
import { persistenceSchema } from "./persistence.js";
import { slowConsumerKeys } from "./slow-consumer.js";
import { lazySchema, type Zod } from "./zod.js";

// The configuration as users write it: aMQTT's keys exactly as aMQTT spells
// them (snake_case, plus the hyphenated keys of its deprecated sections), and our
// additions in the same style. Every object is strict: an unknown key is an error
// that names its path, as aMQTT's own strict loader does. The schemas are built
// on the first validation (see `zod.ts`), not when the module is imported.

/** Build every schema of the configuration with `z`. */
function buildSchemas(z: Zod) {
  const nonNegativeInt = z.int().min(0);
  const seconds = z.number().min(0);
  const filterLists = z.record(z.string(), z.array(z.string()).nullable());

  /** One listener (aMQTT `ListenerConfig`, plus `path` for WebSocket). */
  const listenerSchema = z.strictObject({
    /** `http`: the admin listener (HTTP API, `/metrics`, dashboard), served by `@amqtt/admin`. */
    type: z.enum(["tcp", "ws", "external", "http"]).optional(),
    bind: z.string().nullable().optional(),
    max_connections: nonNegativeInt.optional(),
    /** aMQTT accepts a boolean; its older docs say "on"/"off". */
    ssl: z.union([z.boolean(), z.enum(["on", "off"])]).optional(),
    cafile: z.string().nullable().optional(),
    capath: z.string().nullable().optional(),
    cadata: z.string().nullable().optional(),
    certfile: z.string().nullable().optional(),
    keyfile: z.string().nullable().optional(),
    /** Ask TLS clients for a certificate (always optional to present, as in aMQTT). */
    request_cert: z.boolean().optional(),
    /** WebSocket listeners: the HTTP path to accept upgrades on (any path when absent). */
    path: z.string().optional(),
    /** Accepted for aMQTT compatibility; unused there and here. */
    reader: z.string().nullable().optional(),
    writer: z.string().nullable().optional(),
    // PROXY protocol, forwarded headers, unix socket files, connection rate (issue 17).
    ...edgeListenerKeys(),
  });

  /** aMQTT's deprecated `auth` section. */
  const legacyAuthSchema = z.strictObject({
    plugins: z.array(z.string()).nullable().optional(),
    "allow-anonymous": z.boolean().optional(),
    "password-file": z.string().nullable().optional(),
  });

  /** aMQTT's deprecated `topic-check` section (hyphenated keys, underscores also accepted). */
  const legacyTopicCheckSchema = z.strictObject({
    enabled: z.boolean().optional(),
    plugins: z.array(z.string()).nullable().optional(),
    acl: filterLists.nullable().optional(),
    "publish-acl": filterLists.nullable().optional(),
    publish_acl: filterLists.nullable().optional(),
    "subscribe-acl": filterLists.nullable().optional(),
    subscribe_acl: filterLists.nullable().optional(),
    "receive-acl": filterLists.nullable().optional(),
    receive_acl: filterLists.nullable().optional(),
  });

  /** `plugins`: a map of plugin name to options, or aMQTT's legacy list form. */
  const pluginsSchema = z.union([
    z.record(z.string(), z.record(z.string(), z.unknown()).nullable()),
    z.array(z.union([z.string(), z.record(z.string(), z.record(z.string(), z.unknown()).nullable())])),
  ]);

  /** The admin listener's credentials (`@amqtt/admin`): users, bearer tokens, whether `/metrics` needs them. */
  const adminSchema = z.strictObject({
    /** Users and roles: `name:hash` or `name:hash:role` lines, in the password file formats of file-auth. */
    password_file: z.string().nullable().optional(),
    /** Bearer tokens: `name:role:sha256hex` lines. */
    tokens_file: z.string().nullable().optional(),
    /** Serve `/metrics` without credentials (default false). */
    metrics_public: z.boolean().optional(),
  });

  /** The whole broker configuration as written (YAML or a plain object). */
  const brokerConfigSchema = z.strictObject({
    // aMQTT BrokerConfig
    listeners: z.record(z.string(), listenerSchema).optional(),
    sys_interval: nonNegativeInt.nullable().optional(),
    timeout_disconnect_delay: seconds.nullable().optional(),
    session_expiry_interval: seconds.nullable().optional(),
    auth: legacyAuthSchema.nullable().optional(),
    "topic-check": legacyTopicCheckSchema.nullable().optional(),
    topic_check: legacyTopicCheckSchema.nullable().optional(),
    plugins: pluginsSchema.nullable().optional(),
    qos1_puback_timeout: seconds.nullable().optional(),
    // Our additions: bounds and MQTT 5 capabilities.
    max_packet_size: z.int().min(16).max(268_435_460).optional(),
    receive_maximum: z.int().min(1).max(65_535).optional(),
    max_inflight_messages: z.int().min(1).max(65_535).optional(),
    max_queued_messages: nonNegativeInt.optional(),
    max_queued_bytes: nonNegativeInt.optional(),
    queue_qos0_messages: z.boolean().optional(),
    // online_queue_overflow, ack_timeout, drop_log_interval, publisher_backpressure
    ...slowConsumerKeys(),
    max_keepalive: z.int().min(0).max(65_535).optional(),
    topic_alias_maximum: z.int().min(0).max(65_535).optional(),
    max_qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    retain_available: z.boolean().optional(),
    wildcard_subscription_available: z.boolean().optional(),
    subscription_identifier_available: z.boolean().optional(),
    shared_subscription_available: z.boolean().optional(),
    shared_subscription_strategy: z
      .enum(["round-robin", "random", "sticky", "hash-client-id", "hash-topic"])
      .optional(),
    max_client_id_length: z.int().min(23).max(65_535).optional(),
    /** Subscriptions per session (default 10,000; 0: no limit); more get SUBACK 0x97 (5.0) / 0x80 (3.1.1). */
    max_subscriptions_per_client: nonNegativeInt.optional(),
    connect_timeout: z.number().min(0).optional(),
    response_information: z.string().optional(),
    persistence: persistenceSchema().nullable().optional(),
    // Hardening (issue 14): the pre-CONNECT packet bound, the retained bounds, the `$`-topic policy.
    max_packet_size_before_connect: z.int().min(16).max(268_435_460).optional(),
    max_retained_messages: z.int().min(1).optional(),
    max_retained_bytes: z.int().min(1).optional(),
    dollar_topic_publish: z.enum(["accept", "refuse"]).optional(),
    // Operations (issue 16): log_format, log_level, log_levels; the longest a retained message is kept.
    ...loggingKeys(),
    /** Seconds a retained message is kept at most (a shorter Message Expiry Interval still wins); 0: no limit. */
    retained_message_expiry: seconds.optional(),
    // Operations (issue 16): credentials of the admin listener (`type: http`).
    admin: adminSchema.nullable().optional(),
    // Rate limits and caps (issue 17): max_clients, message/byte rates, the message memory budget.
    ...edgeBrokerKeys(),
    // Scale out (issue 15): the engine the nodes of one cluster share.
    cluster: clusterSchema().nullable().optional(),
    // Edge (issue 17): bridges to other brokers, validated and run by @amqtt/bridge.
    bridges: z.array(z.unknown()).nullable().optional(),
  });

  return { listenerSchema, brokerConfigSchema };
}

const schemas = lazySchema(buildSchemas);

/** The whole broker configuration as written (YAML or a plain object); built on first use. */
export const brokerConfigSchema = () => schemas().brokerConfigSchema;
/** One listener (aMQTT `ListenerConfig`, plus `path` for WebSocket); built on first use. */
export const listenerSchema = () => schemas().listenerSchema;

/** The broker configuration as written by a user (YAML or a TypeScript object). */
export type BrokerConfigInput = z.input<ReturnType<typeof brokerConfigSchema>>;
/** One listener as written by a user. */
export type ListenerConfigInput = z.input<ReturnType<typeof listenerSchema>>;
