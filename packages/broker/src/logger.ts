/** Log levels, most verbose first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * The logger the broker and its plugins write to. Give your own (pino, winston,
 * console) or use `consoleLogger`. `child` names a component, e.g. a plugin.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger writing `[time] LEVEL name: message {fields}` lines to stderr at `level` and above. */
export function consoleLogger(level: LogLevel = "info", name = "amqtt"): Logger {
  const min = order[level];
  const write = (l: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[l] < min) return;
    const extra = fields === undefined || Object.keys(fields).length === 0 ? "" : ` ${safeJson(fields)}`;
    process.stderr.write(`[${new Date().toISOString()}] ${l.toUpperCase()} ${name}: ${message}${extra}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (child) => consoleLogger(level, `${name}.${child}`),
  };
}

/** A logger that drops everything (embedded tests). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  } catch {
    return "[unserializable]";
  }
}
