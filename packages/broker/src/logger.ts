import { isoTime } from "./iso-time.js";
import { redactFields, redactUrls } from "./log-redact.js";

/** Log levels, most verbose first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** How log lines are written: `text` for people, `json` (one object per line) for log shippers. */
export type LogFormat = "text" | "json";

/** Every level, most verbose first (for validation and option lists). */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/**
 * The logger the broker and its plugins write to. Give your own (pino, winston,
 * console) or use `createLogger`. `child` names a component, e.g. a plugin.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Least severe level written, for components `levels` does not name (default `info`). */
  level?: LogLevel;
  /**
   * Levels per component, by dotted name: `{ broker: "debug", "plugins.file-auth": "warn" }`.
   * A key applies to its component and the components under it (`plugins`
   * covers `plugins.file-auth`); the longest matching key wins.
   */
  levels?: Readonly<Record<string, LogLevel>>;
  /** `text` (default) or `json`. */
  format?: LogFormat;
  /** The component of the logger itself; children append `.name` (default: none, shown as `amqtt`). */
  component?: string;
  /** Where lines go (default: stderr). Each call gets one whole line ending in `\n`. */
  write?: (line: string) => void;
  /** The clock of the `time` field (default `Date.now`). */
  now?: () => number;
}

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The level a component logs at: its longest matching `levels` key, else `level`. */
export function levelOf(
  component: string,
  level: LogLevel,
  levels: Readonly<Record<string, LogLevel>>,
): LogLevel {
  let best: string | undefined;
  for (const key of Object.keys(levels)) {
    const covers = key === component || component.startsWith(`${key}.`);
    if (covers && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? level : levels[best]!;
}

/** A logger whose format and levels can change while it runs (a reload): every child follows. */
export interface ConfigurableLogger extends Logger {
  child(name: string): ConfigurableLogger;
  /** Change the format and levels of this logger, its root and every child. */
  configure(settings: Pick<LoggerOptions, "level" | "levels" | "format">): void;
}

/**
 * A logger writing one line per call, in `text` (`[time] LEVEL component: message {fields}`)
 * or `json` (`{"time","level","component","msg","fields"}`), with levels per
 * component. Fields named like secrets (password, token, secret, ...) and the
 * passwords of URLs are redacted in both formats, whoever logs them.
 */
export function createLogger(options: LoggerOptions = {}): ConfigurableLogger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? Date.now;
  // Shared by the whole tree; a child recomputes its level when `generation` moved.
  const shared = {
    level: options.level ?? "info",
    levels: { ...options.levels } as Readonly<Record<string, LogLevel>>,
    format: options.format ?? "text",
    generation: 0,
  };
  const configure = (settings: Pick<LoggerOptions, "level" | "levels" | "format">) => {
    if (settings.level !== undefined) shared.level = settings.level;
    if (settings.levels !== undefined) shared.levels = { ...settings.levels };
    if (settings.format !== undefined) shared.format = settings.format;
    shared.generation++;
  };
  const build = (component: string): ConfigurableLogger => {
    let seen = -1;
    let min = 0;
    const log = (l: LogLevel, message: string, fields?: Record<string, unknown>) => {
      if (seen !== shared.generation) {
        min = order[levelOf(component, shared.level, shared.levels)];
        seen = shared.generation;
      }
      if (order[l] < min) return;
      const text = redactUrls(message);
      const time = isoTime(now());
      const clean =
        fields === undefined || Object.keys(fields).length === 0 ? undefined : redactFields(fields);
      const name = component || "amqtt";
      write(
        shared.format === "json"
          ? `${safeJson({ time, level: l, component: name, msg: text, ...(clean === undefined ? {} : { fields: clean }) })}\n`
          : `[${time}] ${l.toUpperCase()} ${name}: ${text}${clean === undefined ? "" : ` ${safeJson(clean)}`}\n`,
      );
    };
    return {
      debug: (m, f) => log("debug", m, f),
      info: (m, f) => log("info", m, f),
      warn: (m, f) => log("warn", m, f),
      error: (m, f) => log("error", m, f),
      child: (name) => build(component === "" ? name : `${component}.${name}`),
      configure,
    };
  };
  return build(options.component ?? "");
}

/**
 * A text logger to stderr at `level` and above (kept for embedders of earlier
 * versions; `createLogger` has every option). `name` is the component.
 */
export function consoleLogger(level: LogLevel = "info", name = ""): Logger {
  return createLogger({ level, component: name });
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
    return JSON.stringify(value, (_k, v) => {
      if (v instanceof Uint8Array) return `<${v.length} bytes>`;
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Error) return { name: v.name, message: v.message };
      return v;
    });
  } catch {
    return '"[unserializable]"';
  }
}
