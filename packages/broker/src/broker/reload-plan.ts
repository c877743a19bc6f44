import type { ResolvedBrokerConfig, ResolvedListener } from "../config/resolve.js";

/** A setting a reload did not apply, and why (it stays as it was). */
export interface ReloadRefusal {
  /** The configuration key, as written in YAML (`max_queued_messages`, `listeners.secure.bind`, `plugins`). */
  key: string;
  reason: string;
}

/**
 * What `Broker.reload()` did. `applied`: keys now in effect (`listeners.<name>.tls`
 * for a re-read certificate, `plugins.<name>` for re-read plugin files, changed
 * settings by key). `refused`: keys that changed but cannot change while running,
 * or files that could not be read; nothing refused was half applied.
 */
export interface ReloadReport {
  applied: string[];
  refused: ReloadRefusal[];
}

/** A setting that can change while the broker runs: its key, and how to copy it into the running configuration. */
interface LiveSetting {
  key: string;
  read(config: ResolvedBrokerConfig): unknown;
  copy(into: ResolvedBrokerConfig, from: ResolvedBrokerConfig): void;
}

type Limits = ResolvedBrokerConfig["limits"];

/** A live setting kept in `limits`: YAML `key`, resolved `field`. */
function limit<K extends keyof Limits>(key: string, field: K): LiveSetting {
  return {
    key,
    read: (c) => c.limits[field],
    copy: (into, from) => {
      into.limits[field] = from.limits[field];
    },
  };
}

/** A live setting kept at the top of the resolved configuration: YAML `key`, resolved `field`. */
function topLevel<K extends keyof ResolvedBrokerConfig>(key: string, field: K): LiveSetting {
  return {
    key,
    read: (c) => c[field],
    copy: (into, from) => {
      into[field] = from[field];
    },
  };
}

// Settings read where they are used (at a CONNECT, a SUBSCRIBE, a disconnect, a PUBLISH
// to `$`; the pre-CONNECT ones when a connection is accepted), so a new value takes effect
// from the next use without contradicting what a connected client was told. Everything else (packet sizes and windows advertised in
// CONNACK, queue bounds shared with the store, capabilities) is read at start.
const liveSettings: LiveSetting[] = [
  limit("max_keepalive", "maxKeepalive"),
  limit("max_client_id_length", "maxClientIdLength"),
  limit("max_subscriptions_per_client", "maxSubscriptionsPerClient"),
  limit("connect_timeout", "connectTimeout"),
  limit("max_packet_size_before_connect", "maxPacketSizeBeforeConnect"),
  limit("retained_message_expiry", "retainedMessageExpiry"),
  topLevel("session_expiry_interval", "sessionExpiryInterval"),
  topLevel("response_information", "responseInformation"),
  topLevel("dollar_topic_publish", "dollarTopicPublish"),
];
const liveKeys = new Set(liveSettings.map((s) => s.key));

/** What a reload will do, decided before anything is touched. */
export interface ReloadPlan {
  /** Changed settings that apply at once. */
  live: LiveSetting[];
  /** Which of `log_format`, `log_level` and `log_levels` changed. */
  logging: string[];
  /** The listeners whose certificates to re-read, with their (possibly new) files. */
  tls: ResolvedListener[];
  /** Whether the plugin list or an option of a plugin changed (refused; their files are still re-read). */
  pluginsChanged: boolean;
  refused: ReloadRefusal[];
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// Keys of the resolved configuration whose YAML name is not their snake_case.
const yamlNames: Record<string, string> = {
  "slowConsumer.ackTimeoutMs": "ack_timeout",
  "slowConsumer.dropLogIntervalMs": "drop_log_interval",
  "logging.format": "log_format",
  "logging.level": "log_level",
  "logging.levels": "log_levels",
};

/** The settings of a resolved configuration as YAML key -> JSON, listeners and plugins aside. */
function settingsOf(config: ResolvedBrokerConfig): Map<string, string> {
  const out = new Map<string, string>();
  const sectioned = new Set(["limits", "capabilities", "slowConsumer", "logging"]);
  for (const [section, value] of Object.entries(config)) {
    if (section === "listeners" || section === "plugins" || section === "warnings") continue;
    if (sectioned.has(section) && value !== null && typeof value === "object") {
      for (const [name, v] of Object.entries(value))
        out.set(yamlNames[`${section}.${name}`] ?? snake(name), JSON.stringify(v) ?? "undefined");
    } else out.set(snake(section), JSON.stringify(value) ?? "undefined");
  }
  return out;
}

/** A listener's shape without its certificate files: what only a restart can change. */
function socketOf(l: ResolvedListener): string {
  const { tls, ...socket } = l;
  // Everything but the certificate files, so a listener key added later is refused, never ignored.
  return JSON.stringify({ ...socket, tls: tls !== undefined, requestCert: tls?.requestCert });
}

/** The plugins as configured (name, module, options): what only a restart can change. */
function pluginsOf(config: ResolvedBrokerConfig): string {
  return JSON.stringify(config.plugins.map((p) => [p.name, p.specifier, p.options]));
}

/**
 * Compare the running configuration with the next one and decide what a reload
 * applies, re-reads and refuses. Pure: it changes nothing.
 */
export function planReload(current: ResolvedBrokerConfig, next: ResolvedBrokerConfig): ReloadPlan {
  const refused: ReloadRefusal[] = [];
  const before = settingsOf(current);
  const after = settingsOf(next);
  const logging: string[] = [];
  for (const [key, value] of after) {
    if (before.get(key) === value || liveKeys.has(key)) continue;
    if (key.startsWith("log_")) logging.push(key);
    else refused.push({ key, reason: "read at start: restart the broker to change it" });
  }
  const live = liveSettings.filter((s) => JSON.stringify(s.read(current)) !== JSON.stringify(s.read(next)));

  const tls: ResolvedListener[] = [];
  const running = new Map(current.listeners.map((l) => [l.name, l]));
  for (const l of next.listeners) {
    const was = running.get(l.name);
    running.delete(l.name);
    if (was === undefined) {
      refused.push({
        key: `listeners.${l.name}`,
        reason: "a new listener opens only at start: restart the broker",
      });
      continue;
    }
    if (socketOf(was) !== socketOf(l))
      refused.push({
        key: `listeners.${l.name}`,
        reason:
          "a listener's type, bind, max_connections, path, ssl, request_cert and edge settings (PROXY protocol, unix socket) are read at start: restart the broker",
      });
    // Certificates are re-read whatever else changed: they are independent of the socket.
    if (was.tls !== undefined && l.tls !== undefined && l.type !== "external") tls.push(l);
  }
  for (const name of running.keys())
    refused.push({ key: `listeners.${name}`, reason: "a listener closes only at stop: restart the broker" });

  const pluginsChanged = pluginsOf(current) !== pluginsOf(next);
  if (pluginsChanged)
    refused.push({
      key: "plugins",
      reason:
        "plugins and their options are read at start (their files are re-read): restart the broker to change them",
    });
  return { live, logging, tls, pluginsChanged, refused };
}
