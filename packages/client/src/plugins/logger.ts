/**
 * Where the client and its plugins write log lines. The broker's `Logger`
 * (pino, winston and console adapters) fits it, so one logger can serve both.
 */
export interface ClientLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger for one component (a plugin); without it the same logger is used. */
  child?(name: string): ClientLogger;
}

/**
 * The default: warnings and errors to the console (browsers and Node), debug and
 * info dropped, as Python's logging shows aMQTT's client by default.
 */
export function defaultClientLogger(name = "amqtt.client"): ClientLogger {
  return {
    debug() {},
    info() {},
    warn: (message, fields) => console.warn(`${name}: ${message}`, fields ?? ""),
    error: (message, fields) => console.error(`${name}: ${message}`, fields ?? ""),
    child: (child) => defaultClientLogger(`${name}.${child}`),
  };
}

/** The logger for a plugin named `name`. */
export function pluginLogger(logger: ClientLogger, name: string): ClientLogger {
  return logger.child?.(name) ?? logger;
}
