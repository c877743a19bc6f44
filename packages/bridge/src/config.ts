import type { QoS } from "@amqtt/codec";
import { checkTopicFilter } from "@amqtt/message";
import { BridgeConfigError, type BridgeConfigIssue } from "./errors.js";

/** Which way a topic flows: `out` local to remote, `in` remote to local, `both`. */
export type BridgeDirection = "in" | "out" | "both";

/** One `topics:` entry of a bridge (Mosquitto's `topic pattern direction qos local_prefix remote_prefix`). */
export interface BridgeTopic {
  /** The pattern, a topic filter; prefixes go in front of it on each side. */
  filter: string;
  direction: BridgeDirection;
  /** Highest QoS carried (messages go at the lower of theirs and this). */
  qos: QoS;
  /** Local topics are `local_prefix + pattern`. */
  localPrefix: string;
  /** Remote topics are `remote_prefix + pattern`. */
  remotePrefix: string;
}

/** TLS towards the remote (`mqtts://` addresses). Material comes from files, never inline. */
export interface BridgeTls {
  /** PEM file of the CAs that may sign the remote's certificate (default: the system's). */
  cafile?: string;
  /** Our certificate (PEM), for mutual TLS. */
  certfile?: string;
  /** The key of `certfile` (PEM). */
  keyfile?: string;
  /** Check the remote's certificate against its host name (default true; Mosquitto's `bridge_insecure false`). */
  verifyHostname: boolean;
}

/** One bridge, every default applied. */
export interface BridgeConfig {
  /** `[A-Za-z0-9_-]{1,64}`: names its `$SYS/broker/bridge/<name>/` topics and its queue. */
  name: string;
  /** Remote URLs tried in order (fail-over): `mqtt://host:port` or `mqtts://host:port`. */
  addresses: string[];
  /** 4 (MQTT 3.1.1) or 5 (MQTT 5.0, default). */
  protocolVersion: 4 | 5;
  /** Client id at the remote (default `amqtt-bridge-<name>`). */
  clientId: string;
  /** Clean Session / Clean Start at the remote (default false: a persistent session keeps what the remote queued for us). */
  cleanStart: boolean;
  /** 5.0 Session Expiry Interval in seconds (default 0 with `clean_start`, else 0xFFFFFFFF). */
  sessionExpiryInterval: number;
  /** Keep alive in seconds (default 60). */
  keepAlive: number;
  username?: string;
  /** File whose first line is the password (never inline in the configuration). */
  passwordFile?: string;
  tls?: BridgeTls;
  /**
   * 3.1.1: announce ourselves as a bridge (protocol level | 0x80), so a
   * Mosquitto remote sends our own messages not back and keeps retain flags
   * (default true; turned off by itself for a remote that refuses it).
   */
  tryPrivate: boolean;
  /**
   * The fingerprint echo guard (topic + payload hash of what the bridge
   * carried out, each matching one echo within `echoWindowMs`): `inbound`
   * drops a remote message that is our own coming back (default for 3.1.1,
   * which has no No Local), `both` also a local one (two brokers bridging each
   * other on 3.1.1), `off` (default for 5.0, whose No Local and hop list need no guessing).
   */
  echoGuard: "off" | "inbound" | "both";
  /** How long a carried message is expected back as an echo (default 10 s). */
  echoWindowMs: number;
  topics: BridgeTopic[];
  /**
   * At start, queue the local retained messages matching `out`/`both` topics
   * (as Mosquitto's bridge does when it subscribes locally), so the remote
   * gets the current state (default true; resending a retained message is idempotent).
   */
  retainedOnStart: boolean;
  /** Outbound messages kept while the remote is unreachable, at most (default 10,000). */
  maxQueuedMessages: number;
  /** ... and at most these many bytes (default 64 MiB). Beyond either, new messages are dropped and counted. */
  maxQueuedBytes: number;
  /** Outbound QoS 1/2 messages sent and not yet acknowledged by the remote, at most (default 100). */
  maxInflight: number;
  /** Reconnect backoff: first delay, cap (ms) and random share (default 1 s, 60 s, 0.5). */
  reconnect: { initialMs: number; maxMs: number; jitter: number };
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const KEYS = new Set([
  "name",
  "address",
  "addresses",
  "protocol_version",
  "client_id",
  "clean_start",
  "session_expiry_interval",
  "keep_alive",
  "username",
  "password_file",
  "tls",
  "try_private",
  "echo_guard",
  "echo_window",
  "topics",
  "max_queued_messages",
  "max_queued_bytes",
  "max_inflight",
  "restart_timeout",
  "retained_on_start",
]);
const TOPIC_KEYS = new Set(["filter", "direction", "qos", "local_prefix", "remote_prefix"]);
const TLS_KEYS = new Set(["cafile", "certfile", "keyfile", "verify_hostname"]);

/** Resolve relative file paths against this folder (the configuration file's). */
export interface ParseBridgesOptions {
  baseDir?: string;
}

/**
 * Validate a `bridges:` list (parsed YAML or objects) and apply every default.
 * @throws BridgeConfigError listing every problem, each with its field path.
 */
export function parseBridges(input: unknown, options: ParseBridgesOptions = {}): BridgeConfig[] {
  const issues: BridgeConfigIssue[] = [];
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new BridgeConfigError([{ field: "bridges", message: "expected a list" }]);
  const out: BridgeConfig[] = [];
  input.forEach((entry, i) => {
    const bridge = parseBridge(entry, `bridges[${i}]`, options.baseDir, issues);
    if (bridge !== undefined) out.push(bridge);
  });
  unique(out, (b) => b.name, "name", issues);
  unique(out, (b) => b.clientId, "client_id", issues);
  if (issues.length > 0) throw new BridgeConfigError(issues);
  return out;
}

function unique(
  bridges: BridgeConfig[],
  key: (b: BridgeConfig) => string,
  field: string,
  issues: BridgeConfigIssue[],
): void {
  const seen = new Set<string>();
  bridges.forEach((b, i) => {
    const k = key(b);
    if (seen.has(k))
      issues.push({ field: `bridges[${i}].${field}`, message: `${k} is used by another bridge` });
    seen.add(k);
  });
}

/** Reads typed fields of one mapping, recording a problem for each bad one. */
class Fields {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly at: string,
    private readonly issues: BridgeConfigIssue[],
  ) {}

  problem(key: string, message: string): void {
    this.issues.push({ field: `${this.at}.${key}`, message });
  }

  unknownKeys(known: Set<string>): void {
    for (const key of Object.keys(this.raw)) if (!known.has(key)) this.problem(key, "unknown key");
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  string(key: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") this.problem(key, `expected a string, got ${typeof v}`);
    return typeof v === "string" ? v : undefined;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") this.problem(key, "expected true or false");
    return typeof v === "boolean" ? v : fallback;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.problem(key, `expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string | number>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (!allowed.includes(v as T)) {
      this.problem(key, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
      return fallback;
    }
    return v as T;
  }

  value(key: string): unknown {
    return this.raw[key];
  }
}

function mapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseBridge(
  entry: unknown,
  at: string,
  baseDir: string | undefined,
  issues: BridgeConfigIssue[],
): BridgeConfig | undefined {
  if (!mapping(entry)) {
    issues.push({ field: at, message: "expected a mapping" });
    return undefined;
  }
  const f = new Fields(entry, at, issues);
  f.unknownKeys(KEYS);
  const name = f.string("name") ?? "";
  if (!NAME.test(name)) f.problem("name", "required: 1 to 64 letters, digits, '_' or '-'");
  const tls = parseTls(f, at, baseDir, issues);
  const addresses = parseAddresses(f, tls !== undefined);
  const protocolVersion = f.oneOf("protocol_version", [4, 5] as const, 5);
  const cleanStart = f.bool("clean_start", false);
  const clientId = f.string("client_id") ?? `amqtt-bridge-${name}`;
  if (clientId.length === 0 || clientId.length > 65535)
    f.problem("client_id", "expected 1 to 65535 characters");
  const password = f.string("password_file");
  const username = f.string("username");
  if (password !== undefined && username === undefined) f.problem("password_file", "needs a username");
  const topics = parseTopics(f, at, issues);
  const restart = parseRestart(f);
  const bridge: BridgeConfig = {
    name,
    addresses,
    protocolVersion,
    clientId,
    cleanStart,
    sessionExpiryInterval: f.integer("session_expiry_interval", cleanStart ? 0 : 0xffffffff, 0, 0xffffffff),
    keepAlive: f.integer("keep_alive", 60, 0, 65535),
    tryPrivate: f.bool("try_private", true),
    echoGuard: f.oneOf(
      "echo_guard",
      ["off", "inbound", "both"] as const,
      protocolVersion === 4 ? "inbound" : "off",
    ),
    echoWindowMs: f.integer("echo_window", 10, 1, 3600) * 1000,
    topics,
    maxQueuedMessages: f.integer("max_queued_messages", 10_000, 1, 10_000_000),
    maxQueuedBytes: f.integer("max_queued_bytes", 64 * 1024 * 1024, 1, 2 ** 40),
    maxInflight: f.integer("max_inflight", 100, 1, 65535),
    retainedOnStart: f.bool("retained_on_start", true),
    reconnect: restart,
  };
  if (username !== undefined) bridge.username = username;
  if (password !== undefined) bridge.passwordFile = resolvePath(baseDir, password);
  if (tls !== undefined) bridge.tls = tls;
  return bridge;
}

function parseAddresses(f: Fields, tls: boolean): string[] {
  const one = f.has("address");
  const many = f.has("addresses");
  if (one && many) f.problem("addresses", "give address or addresses, not both");
  if (!one && !many) {
    f.problem("address", "required (or addresses: a list for fail-over)");
    return [];
  }
  const key = one ? "address" : "addresses";
  const raw = one ? [f.value("address")] : f.value("addresses");
  if (!Array.isArray(raw) || raw.length === 0) {
    f.problem(key, "expected a non-empty list");
    return [];
  }
  const out: string[] = [];
  raw.forEach((a, i) => {
    const where = one ? key : `${key}[${i}]`;
    const url = typeof a === "string" ? addressUrl(a, tls) : undefined;
    if (url === undefined) f.problem(where, "expected host:port, mqtt://host:port or mqtts://host:port");
    else out.push(url);
  });
  return out;
}

/** `host:port`, `[v6]:port` or a URL of a scheme the client dials, as a URL string. */
function addressUrl(address: string, tls: boolean): string | undefined {
  const withScheme = /^[a-z]+:\/\//.test(address) ? address : `${tls ? "mqtts" : "mqtt"}://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (!["mqtt:", "mqtts:", "ws:", "wss:"].includes(url.protocol) || url.hostname === "") return undefined;
  // Credentials come from username/password_file only, never from an address that may be logged.
  if (url.username !== "" || url.password !== "") return undefined;
  return url.toString().replace(/\/$/, "");
}

function parseTls(
  f: Fields,
  at: string,
  baseDir: string | undefined,
  issues: BridgeConfigIssue[],
): BridgeTls | undefined {
  const raw = f.value("tls");
  if (raw === undefined || raw === null || raw === false) return undefined;
  if (raw === true) return { verifyHostname: true };
  if (!mapping(raw)) {
    f.problem("tls", "expected a mapping (cafile, certfile, keyfile, verify_hostname) or true");
    return undefined;
  }
  const t = new Fields(raw, `${at}.tls`, issues);
  t.unknownKeys(TLS_KEYS);
  const tls: BridgeTls = { verifyHostname: t.bool("verify_hostname", true) };
  for (const key of ["cafile", "certfile", "keyfile"] as const) {
    const v = t.string(key);
    if (v !== undefined) tls[key] = resolvePath(baseDir, v);
  }
  if ((tls.certfile === undefined) !== (tls.keyfile === undefined))
    t.problem(
      tls.certfile === undefined ? "certfile" : "keyfile",
      "mutual TLS needs both certfile and keyfile",
    );
  return tls;
}

function parseTopics(f: Fields, at: string, issues: BridgeConfigIssue[]): BridgeTopic[] {
  const raw = f.value("topics");
  if (!Array.isArray(raw) || raw.length === 0) {
    f.problem(
      "topics",
      "expected a non-empty list of { filter, direction, qos, local_prefix, remote_prefix }",
    );
    return [];
  }
  const out: BridgeTopic[] = [];
  raw.forEach((entry, i) => {
    const where = `${at}.topics[${i}]`;
    if (!mapping(entry)) {
      issues.push({ field: where, message: "expected a mapping" });
      return;
    }
    const t = new Fields(entry, where, issues);
    t.unknownKeys(TOPIC_KEYS);
    const filter = t.string("filter");
    const localPrefix = t.string("local_prefix") ?? "";
    const remotePrefix = t.string("remote_prefix") ?? "";
    for (const [key, prefix] of [
      ["local_prefix", localPrefix],
      ["remote_prefix", remotePrefix],
    ] as const) {
      if (/[+#]/.test(prefix)) t.problem(key, "a prefix holds no wildcard");
    }
    if (filter === undefined) t.problem("filter", "required: a topic filter");
    else {
      const bad = checkTopicFilter(`${localPrefix}${filter}`, { shared: false });
      if (bad !== undefined) t.problem("filter", bad.message);
      else if (checkTopicFilter(`${remotePrefix}${filter}`, { shared: false }) !== undefined)
        t.problem("remote_prefix", "makes an invalid remote filter");
    }
    out.push({
      filter: filter ?? "",
      direction: t.oneOf("direction", ["in", "out", "both"] as const, "out"),
      qos: t.oneOf("qos", [0, 1, 2] as const, 1),
      localPrefix,
      remotePrefix,
    });
  });
  return out;
}

function parseRestart(f: Fields): BridgeConfig["reconnect"] {
  const raw = f.value("restart_timeout");
  const fallback = { initialMs: 1000, maxMs: 60_000, jitter: 0.5 };
  if (raw === undefined || raw === null) return fallback;
  // Mosquitto's `restart_timeout base cap` (seconds), or one number for a constant delay.
  const pair = typeof raw === "number" ? [raw, raw] : Array.isArray(raw) ? raw : undefined;
  if (
    pair === undefined ||
    pair.length !== 2 ||
    !pair.every((x) => typeof x === "number" && x > 0 && x <= 86_400) ||
    (pair[0] as number) > (pair[1] as number)
  ) {
    f.problem("restart_timeout", "expected seconds, or [base, cap] with 0 < base <= cap <= 86400");
    return fallback;
  }
  return { initialMs: (pair[0] as number) * 1000, maxMs: (pair[1] as number) * 1000, jitter: 0.5 };
}

function resolvePath(baseDir: string | undefined, path: string): string {
  if (baseDir === undefined || path.startsWith("/")) return path;
  return `${baseDir.replace(/\/$/, "")}/${path}`;
}
