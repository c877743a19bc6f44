import { Broker } from "../../src/broker.js";
import { emptyStats } from "../../src/core/stats.js";
import { type Logger, silentLogger } from "../../src/logger.js";
import type { BrokerStats, ClientInfo, PluginContext, PluginMessage } from "../../src/plugins/types.js";

/** A log line kept by `recordingLogger`. */
export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  name: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every line (children included) in `lines`. */
export function recordingLogger(lines: LogLine[] = [], name = "test"): Logger & { lines: LogLine[] } {
  const at =
    (level: LogLine["level"]) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, name, message, fields });
    };
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (child) => recordingLogger(lines, `${name}.${child}`),
  };
}

/** A connected client as hooks see it. */
export function client(overrides: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: "c1",
    username: undefined,
    password: undefined,
    protocolVersion: 5,
    listener: "default",
    remoteAddress: "127.0.0.1",
    anonymous: false,
    attributes: new Map(),
    ...overrides,
  };
}

/** A message on `topic`. */
export function message(topic: string, payload = "x"): PluginMessage {
  return { topic, payload: new TextEncoder().encode(payload), qos: 0, retain: false };
}

/** Zeroed broker counters. */
export function stats(overrides: Partial<BrokerStats> = {}): BrokerStats {
  return { ...emptyStats(), ...overrides };
}

/** A plugin context with the given options; published messages land in `published`. */
export function context(
  options: Record<string, unknown> = {},
  extra: { logger?: Logger; stats?: () => BrokerStats } = {},
): PluginContext & { published: PluginMessage[] } {
  const published: PluginMessage[] = [];
  return {
    options,
    logger: extra.logger ?? recordingLogger(),
    publish: (m) => {
      published.push(m);
    },
    stats: extra.stats ?? (() => stats()),
    version: "0.0.0-test",
    // A real (never started) broker's context: these tests do not use it.
    broker: new Broker({ plugins: {} }, { logger: silentLogger }).context,
    hookTimeoutMs: 5000,
    published,
  };
}
