import { type ConfigurableLogger, createLogger, type LogFormat, type LogLevel } from "../logger.js";
import { lazySchema } from "./zod.js";

// How the broker logs: the format, the level, and levels per component. Kept in
// the configuration (not only in code) so an operator can change them in the
// YAML file and with `amqtt` flags.

/** The logging keys of the broker configuration (merged into its schema; built on first use). */
export const loggingKeys = lazySchema((z) => {
  const level = z.enum(["debug", "info", "warn", "error"]);
  return {
    /** `text` (default) or `json`: one JSON object per line (time, level, component, msg, fields). */
    log_format: z.enum(["text", "json"]).optional(),
    /** Least severe level logged (default: `info` for the `amqtt` command, `warn` for an embedded broker). */
    log_level: level.optional(),
    /** Levels per component by dotted name: `{ broker: debug, plugins.file-auth: warn }`. */
    log_levels: z.record(z.string().min(1), level).optional(),
  };
});

/** The logging settings, resolved. `level` is absent when not written (who runs the broker picks the default). */
export interface ResolvedLogging {
  format: LogFormat;
  level: LogLevel | undefined;
  levels: Record<string, LogLevel>;
}

/** Resolve the logging keys as parsed. */
export function resolveLogging(raw: {
  log_format?: LogFormat | undefined;
  log_level?: LogLevel | undefined;
  log_levels?: Record<string, LogLevel> | undefined;
}): ResolvedLogging {
  return { format: raw.log_format ?? "text", level: raw.log_level, levels: { ...raw.log_levels } };
}

/**
 * The logger a configuration asks for: its format and levels, at `defaultLevel`
 * where `log_level` is not written (`warn` for an embedded broker, `info` for
 * the `amqtt` command).
 */
export function loggerFromConfig(
  logging: ResolvedLogging,
  defaultLevel: LogLevel,
  write?: (line: string) => void,
): ConfigurableLogger {
  return createLogger({
    level: logging.level ?? defaultLevel,
    levels: logging.levels,
    format: logging.format,
    ...(write === undefined ? {} : { write }),
  });
}
